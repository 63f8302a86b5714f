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

    /// <summary>Clear-Content's own (empty) parameters: what tells its ClearContent from Set-Content's.</summary>
    public sealed class ClearParameters { }

    public object? ClearContentDynamicParameters(string path) => new ClearParameters();

    /// <summary>Get-Content: the node's value, as one string (or its bytes with -AsByteStream).</summary>
    public IContentReader GetContentReader(string path)
    {
        var store = StorePath(path);
        var bytes = Run(() => Store.ReadAsync(store), store);
        // No reader after the error: the engine then writes nothing for this path.
        return bytes is null ? null! : new ValueReader(bytes, (DynamicParameters as ContentParameters)?.AsByteStream == true);
    }

    /// <summary>
    /// Set-Content replaces the value and Add-Content appends to it (lines joined by
    /// newlines); either way the node gets one WRITE when the cmdlet is done.
    /// </summary>
    public IContentWriter GetContentWriter(string path)
    {
        var store = StorePath(path);
        var replace = Drive.DriveConnection.TakeReplacement(store);
        // Checked now: an error from the writer's Close, after the cmdlet's last record, is lost.
        if (!IsValidPath(path))
        {
            WriteError(new ErrorRecord(new ArgumentException($"'{store}' is not a valid XenStore path: names take letters, digits and - _ @ only."),
                "XenStore.EINVAL", ErrorCategory.InvalidArgument, store));
            return null!;
        }
        return new ValueWriter(this, store, replace, (DynamicParameters as ContentParameters)?.AsByteStream == true);
    }

    /// <summary>
    /// Clear-Content empties the value. Set-Content calls this too before it writes, and turns
    /// any error here into a terminating one: for Set-Content nothing is written now (watchers
    /// would see a momentary empty value), the writer is told to replace instead.
    /// </summary>
    public void ClearContent(string path)
    {
        var store = StorePath(path);
        if (DynamicParameters is ContentParameters)
        {
            Drive.DriveConnection.ExpectReplacement(store);
            return;
        }
        if (!Exists(store) || !ShouldChange(store, "Clear XenStore value")) return;
        Run(() => Store.WriteAsync(store, Array.Empty<byte>()), store);
    }

    /// <summary>The value as one string, or as bytes in blocks of the cmdlet's -ReadCount.</summary>
    private sealed class ValueReader(byte[] value, bool asBytes) : IContentReader
    {
        private int position;

        public IList Read(long readCount)
        {
            if (!asBytes)
            {
                if (position > 0) return Array.Empty<object>();
                position = 1;
                return new object[] { XenStoreItem.ValueText(value) };
            }
            var count = readCount <= 0 ? value.Length - position : (int)Math.Min(readCount, value.Length - position);
            var block = value.Skip(position).Take(count).Cast<object>().ToList();
            position += count;
            return block;
        }

        public void Seek(long offset, SeekOrigin origin) => position = origin == SeekOrigin.End ? (asBytes ? value.Length : 1) : 0;

        public void Close() { }

        public void Dispose() { }
    }

    private sealed class ValueWriter(XenStoreProvider provider, string path, bool replace, bool asBytes) : IContentWriter
    {
        private readonly List<byte> written = [];
        private bool any;

        public IList Write(IList content)
        {
            foreach (var item in content)
            {
                if (asBytes)
                {
                    written.AddRange(Values.ToByteStream(item));
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
            if (!provider.ShouldChange(path, "Set XenStore value")) return;
            var existing = replace ? [] : provider.Run(async () =>
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
