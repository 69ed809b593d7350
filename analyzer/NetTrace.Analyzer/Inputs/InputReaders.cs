using System.Reflection;

namespace NetTrace.Analyzer.Inputs;

/// <summary>Registry of input readers: built-in ones first, then any found in this assembly, then registered ones.</summary>
public static class InputReaders
{
    private static readonly Lock Gate = new();
    private static List<IInputReader>? _readers;

    public static IReadOnlyList<IInputReader> All
    {
        get
        {
            lock (Gate) return _readers ??= Discover();
        }
    }

    /// <summary>Adds a reader from another assembly (call before analysing).</summary>
    public static void Register(IInputReader reader)
    {
        lock (Gate)
        {
            _readers ??= Discover();
            if (!_readers.Any(r => r.Name == reader.Name)) _readers.Add(reader);
        }
    }

    public static IInputReader? ByName(string name) => All.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase));

    public static IInputReader? Detect(string path, ReadOnlySpan<byte> head)
    {
        foreach (var r in All)
            if (r.Automatic && r.CanRead(path, head)) return r;
        return null;
    }

    private static List<IInputReader> Discover()
    {
        var list = new List<IInputReader> { new NativeCaptureInput(), new LibpcapInput() };
        foreach (var t in typeof(InputReaders).Assembly.GetTypes())
        {
            if (t.IsAbstract || t.IsInterface || !typeof(IInputReader).IsAssignableFrom(t)) continue;
            if (t == typeof(NativeCaptureInput) || t == typeof(LibpcapInput)) continue;
            if (t.GetConstructor(BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes) is null) continue;
            list.Add((IInputReader)Activator.CreateInstance(t)!);
        }
        return list;
    }
}
