using Microsoft.Win32.SafeHandles;

namespace XenStore.Daemon.Persistence;

/// <summary>
/// The file operations persistence needs, in one place: positional writes on a handle (so a
/// failed write leaves no stream state to guess about), fsync, truncation, rename. Tests
/// substitute a subclass to make any of them fail as a full or failing disk would.
/// </summary>
internal class JournalFiles
{
    /// <summary>Opens (or creates) a journal segment for appending at its end.</summary>
    public virtual JournalFile OpenForAppend(string path) => new(path, FileMode.OpenOrCreate);

    /// <summary>Creates an empty file (a snapshot being written), replacing any leftover.</summary>
    public virtual JournalFile Create(string path) => new(path, FileMode.Create);

    /// <summary>
    /// Atomically puts a finished file in place of another (rename(2)), and makes the rename
    /// durable (fsync(2) of the directory) before the caller relies on it: after a snapshot is
    /// put in place, the journal segments it covers are deleted.
    /// </summary>
    public virtual void Replace(string from, string to)
    {
        File.Move(from, to, overwrite: true);
        DirectorySync.Sync(Path.GetDirectoryName(Path.GetFullPath(to))!);
    }

    public virtual void Delete(string path) => File.Delete(path);
}

/// <summary>One file written only at its end, whose length is known without asking the OS.</summary>
internal class JournalFile : IDisposable
{
    private readonly SafeFileHandle handle;

    public JournalFile(string path, FileMode mode)
    {
        Path = path;
        handle = File.OpenHandle(path, mode, FileAccess.Write, FileShare.Read);
        Length = RandomAccess.GetLength(handle);
    }

    public string Path { get; }

    /// <summary>Bytes written so far (where the next append goes).</summary>
    public long Length { get; private set; }

    /// <summary>Writes at the end; on failure the length stays where it was and part of the bytes may be there.</summary>
    public virtual void Append(ReadOnlySpan<byte> bytes)
    {
        RandomAccess.Write(handle, bytes, Length);
        Length += bytes.Length;
    }

    /// <summary>fsync(2): everything appended is on the disk.</summary>
    public virtual void Sync() => RandomAccess.FlushToDisk(handle);

    /// <summary>Cuts the file back to <paramref name="length"/> (a failed append's partial bytes).</summary>
    public virtual void Truncate(long length)
    {
        RandomAccess.SetLength(handle, length);
        Length = length;
    }

    public void Dispose() => handle.Dispose();
}
