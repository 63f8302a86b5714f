namespace XenStore.Fuzz;

/// <summary>The fuzz targets by name, shared by the afl-fuzz program and the replay tests.</summary>
public static class FuzzTargets
{
    public delegate void Target(ReadOnlySpan<byte> input);

    /// <summary>Target names, which are also the folder names of the corpus and the crashes.</summary>
    public static IReadOnlyList<string> Names { get; } = ["codec", "daemon", "journal"];

    /// <summary>The target called <paramref name="name"/>, or null.</summary>
    public static Target? Find(string name) => name switch
    {
        "codec" => CodecTarget.Run,
        "daemon" => DaemonTarget.Run,
        "journal" => JournalTarget.Run,
        _ => null,
    };
}
