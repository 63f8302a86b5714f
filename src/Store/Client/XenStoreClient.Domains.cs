using System.Globalization;
using XenStore.Protocol;

namespace XenStore.Client;

public sealed partial class XenStoreClient
{
    private static string Id(uint domid) => domid.ToString(CultureInfo.InvariantCulture);

    /// <summary>Tells the daemon to serve a domain's ring (INTRODUCE; privileged).</summary>
    public Task IntroduceAsync(uint domid, ulong ringFrame, uint eventChannel, CancellationToken cancellationToken = default) =>
        RequestStringAsync(MessageType.Introduce, cancellationToken, Id(domid), ringFrame.ToString(CultureInfo.InvariantCulture), Id(eventChannel));

    /// <summary>Stops serving a domain and deletes its nodes (RELEASE; privileged).</summary>
    public Task ReleaseAsync(uint domid, CancellationToken cancellationToken = default) =>
        RequestStringAsync(MessageType.Release, cancellationToken, Id(domid));

    /// <summary>Whether the daemon serves a domain (IS_DOMAIN_INTRODUCED; privileged).</summary>
    public async Task<bool> IsDomainIntroducedAsync(uint domid, CancellationToken cancellationToken = default) =>
        await RequestStringAsync(MessageType.IsDomainIntroduced, cancellationToken, Id(domid)).ConfigureAwait(false) == "T";

    /// <summary>The home path of a domain, "/local/domain/N" (GET_DOMAIN_PATH).</summary>
    public Task<string> GetDomainPathAsync(uint domid, CancellationToken cancellationToken = default) =>
        RequestStringAsync(MessageType.GetDomainPath, cancellationToken, Id(domid));

    /// <summary>Re-arms @releaseDomain for a domain after a suspend (RESUME; privileged).</summary>
    public Task ResumeAsync(uint domid, CancellationToken cancellationToken = default) =>
        RequestStringAsync(MessageType.Resume, cancellationToken, Id(domid));

    /// <summary>Lets domain <paramref name="domid"/> act for <paramref name="target"/> (SET_TARGET; privileged).</summary>
    public Task SetTargetAsync(uint domid, uint target, CancellationToken cancellationToken = default) =>
        RequestStringAsync(MessageType.SetTarget, cancellationToken, Id(domid), Id(target));

    /// <summary>A CONTROL command ("quota", "log on", "help"...); returns the daemon's text answer.</summary>
    public Task<string> ControlAsync(string command, params string[] arguments) =>
        RequestStringAsync(MessageType.Control, CancellationToken.None, [command, .. arguments]);

    /// <summary>Ring features of a domain, or of this connection's own (GET_FEATURE, Xen 4.21+).</summary>
    public async Task<uint> GetFeaturesAsync(uint? domid = null, CancellationToken cancellationToken = default)
    {
        var text = domid is { } d
            ? await RequestStringAsync(MessageType.GetFeature, cancellationToken, Id(d)).ConfigureAwait(false)
            : Wire.Decode((await RequestAsync(MessageType.GetFeature, 0, [0], null, cancellationToken).ConfigureAwait(false)).Payload).TrimEnd('\0');
        return uint.Parse(text, CultureInfo.InvariantCulture);
    }

    /// <summary>Sets a domain's ring features before it is introduced (SET_FEATURE, Xen 4.21+).</summary>
    public Task SetFeaturesAsync(uint domid, uint features, CancellationToken cancellationToken = default) =>
        RequestStringAsync(MessageType.SetFeature, cancellationToken, Id(domid), Id(features));

    /// <summary>A quota's value: the default, or a domain's (GET_QUOTA, Xen 4.22+).</summary>
    public async Task<long> GetQuotaAsync(string name, uint? domid = null, CancellationToken cancellationToken = default)
    {
        var args = domid is { } d ? new[] { Id(d), name } : [name];
        return long.Parse(await RequestStringAsync(MessageType.GetQuota, cancellationToken, args).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    /// <summary>Sets a quota: the default for new domains, or a domain's (SET_QUOTA, Xen 4.22+).</summary>
    public Task SetQuotaAsync(string name, long value, uint? domid = null, CancellationToken cancellationToken = default)
    {
        var args = domid is { } d ? new[] { Id(d), name, value.ToString(CultureInfo.InvariantCulture) } : [name, value.ToString(CultureInfo.InvariantCulture)];
        return RequestStringAsync(MessageType.SetQuota, cancellationToken, args);
    }
}
