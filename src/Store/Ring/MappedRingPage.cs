using System.Diagnostics.CodeAnalysis;
using System.IO.MemoryMappedFiles;

namespace XenStore.Ring;

/// <summary>
/// A 4 KiB ring page backed by a file that both processes map shared: the simulated
/// hypervisor's stand-in for a grant-mapped page.
/// </summary>
public sealed unsafe class MappedRingPage : IDisposable
{
    private readonly MemoryMappedFile file;
    private readonly MemoryMappedViewAccessor view;
    private byte* pointer;

    private MappedRingPage(MemoryMappedFile file, MemoryMappedViewAccessor view)
    {
        this.file = file;
        this.view = view;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        pointer += view.PointerOffset;
    }

    /// <summary>The page's first byte; valid until disposed.</summary>
    [SuppressMessage("Naming", "CA1720", Justification = "It is the page's address as a byte*.")]
    public byte* Pointer => pointer;

    /// <summary>Maps an existing page file (the daemon side).</summary>
    public static MappedRingPage Open(string path)
    {
        var length = new FileInfo(path).Length;
        if (length < RingLayout.PageSize)
            throw new InvalidDataException($"{path} is {length} bytes; a ring page is {RingLayout.PageSize}.");
        return Map(path, FileMode.Open);
    }

    /// <summary>Creates a zero-filled page file and maps it (the guest side).</summary>
    public static MappedRingPage Create(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using (var stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite))
            stream.SetLength(RingLayout.PageSize);
        return Map(path, FileMode.Open);
    }

    private static MappedRingPage Map(string path, FileMode mode)
    {
        var file = MemoryMappedFile.CreateFromFile(path, mode, null, RingLayout.PageSize, MemoryMappedFileAccess.ReadWrite);
        return new MappedRingPage(file, file.CreateViewAccessor(0, RingLayout.PageSize, MemoryMappedFileAccess.ReadWrite));
    }

    /// <summary>Unmaps the page; <see cref="Pointer"/> is invalid after this.</summary>
    public void Dispose()
    {
        if (pointer == null) return;
        pointer = null;
        view.SafeMemoryMappedViewHandle.ReleasePointer();
        view.Dispose();
        file.Dispose();
    }
}
