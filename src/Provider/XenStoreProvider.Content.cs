using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Provider;
using XenStore.Client;

namespace XenStore.PowerShell;

public sealed partial class XenStoreProvider
{
    /// <summary>Get-Content -AsByteStream: the value as bytes instead of text.</summary>
    public sealed class ContentParameters
    {
        [Parameter]
        public SwitchParameter AsByteStream { get; set; }
    }

    public object GetContentReaderDynamicParameters(string path) => new ContentParameters();

    public object GetContentWriterDynamicParameters(string path) => new ContentParameters();

    public object? ClearContentDynamicParameters(string path) => null;

    /// <summary>Get-Content: the node's value, as one string (or its bytes with -AsByteStream).</summary>
    public IContentReader GetContentReader(string path)
    {
        var store = ProviderPath.ToStorePath(path);
        var bytes = Run(() => Store.ReadAsync(store), store) ?? [];
        return new ValueReader(bytes, (DynamicParameters as ContentParameters)?.AsByteStream == true);
    }

    /// <summary>Set-Content (after ClearContent) and Add-Content: what is written is appended to the value, lines joined by newlines.</summary>
    public IContentWriter GetContentWriter(string path)
    {
        var store = ProviderPath.ToStorePath(path);
        return new ValueWriter(this, store, (DynamicParameters as ContentParameters)?.AsByteStream == true);
    }

    public void ClearContent(string path)
    {
        var store = ProviderPath.ToStorePath(path);
        if (!ShouldProcess(store, "Clear XenStore value")) return;
        Run(() => Store.WriteAsync(store, Array.Empty<byte>()), store);
    }

    private sealed class ValueReader(byte[] value, bool asBytes) : IContentReader
    {
        private bool done;

        public IList Read(long readCount)
        {
            if (done) return Array.Empty<object>();
            done = true;
            if (asBytes) return value.Cast<object>().ToList();
            return new object[] { XenStoreItem.ValueText(value) };
        }

        public void Seek(long offset, SeekOrigin origin) => done = origin == SeekOrigin.End;

        public void Close() { }

        public void Dispose() { }
    }

    private sealed class ValueWriter(XenStoreProvider provider, string path, bool asBytes) : IContentWriter
    {
        private readonly List<byte> written = [];
        private bool any;

        public IList Write(IList content)
        {
            foreach (var item in content)
            {
                if (asBytes)
                {
                    written.AddRange(Values.ToBytes(item));
                    continue;
                }
                if (any) written.Add((byte)'\n');
                written.AddRange(Values.ToBytes(item));
                any = true;
            }
            return content;
        }

        public void Seek(long offset, SeekOrigin origin) { }

        /// <summary>One write of the whole value when the cmdlet is done (a node value is replaced, never streamed).</summary>
        public void Close()
        {
            if (!provider.ShouldProcess(path, "Set XenStore value")) return;
            var existing = provider.Run(async () =>
            {
                try { return await provider.Store.ReadAsync(path).ConfigureAwait(false); }
                catch (XenStoreException e) when (e.Code == Protocol.XenStoreErrorCode.ENOENT) { return Array.Empty<byte>(); }
            }, path) ?? [];
            var separator = existing.Length > 0 && any && !asBytes ? new[] { (byte)'\n' } : [];
            provider.Run(() => provider.Store.WriteAsync(path, [.. existing, .. separator, .. written]), path);
        }

        public void Dispose() { }
    }
}
