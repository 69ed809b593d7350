using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace NetTrace.Analyzer.Flows;

/// <summary>
/// Storage of plain structs by index in fixed 1024-item chunks, for results that grow with the file (finished flows,
/// handshakes). Growing never copies what is stored. Only the newest <c>maxResidentChunks</c> chunks stay in memory:
/// older ones are written to an unlinked temporary file and read back a chunk at a time, so memory stays bounded
/// however long the capture is. Items may be stored out of order (<see cref="Set"/>, e.g. by a flow's creation
/// order while flows finish out of order); an item for a chunk already on disk is written to its place in the file.
/// Reads return copies. Not thread-safe while being filled; reads are safe from several threads.
/// </summary>
internal sealed class ChunkedStore<T> : IDisposable where T : unmanaged
{
    private const int Shift = 10, ChunkSize = 1 << Shift, Mask = ChunkSize - 1, CacheSlots = 4;
    /// <summary>In-memory chunks kept before older ones go to disk (16 × 1024 × ~200 B ≈ 3 MB).</summary>
    public const int DefaultMaxResidentChunks = 16;
    private static readonly long ChunkBytes = (long)ChunkSize * Unsafe.SizeOf<T>();

    private readonly int _maxResident;
    /// <summary>Chunk arrays by chunk index; null = not created yet or on disk (see _spilled).</summary>
    private readonly List<T[]?> _chunks = [];
    private readonly List<bool> _spilled = [];
    private readonly Queue<int> _residentOrder = new();
    private SafeFileHandle? _file;
    private readonly T[]?[] _cache = new T[CacheSlots][];
    private readonly int[] _cacheIds = [-1, -1, -1, -1];
    private int _clock;

    public ChunkedStore(int maxResidentChunks = DefaultMaxResidentChunks) => _maxResident = Math.Max(1, maxResidentChunks);

    /// <summary>One past the highest index stored.</summary>
    public int Count { get; private set; }
    /// <summary>Chunks written to the temporary file (0 while everything fits in memory).</summary>
    public int SpilledChunks { get; private set; }
    /// <summary>Items written one by one into chunks already on disk.</summary>
    public long LateWrites { get; private set; }

    public void Add(in T item) => Set(Count, item);

    public void Set(int index, in T item)
    {
        int c = index >> Shift;
        while (_chunks.Count <= c)
        {
            _chunks.Add(null);
            _spilled.Add(false);
        }
        if (_spilled[c])
        {
            // A late item for a chunk already on disk (a long-lived flow finishing): patch it in place.
            RandomAccess.Write(_file!, MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in item)), c * ChunkBytes + (long)(index & Mask) * Unsafe.SizeOf<T>());
            InvalidateCache(c);
            LateWrites++;
        }
        else
        {
            var chunk = _chunks[c];
            if (chunk is null)
            {
                // Keep at most _maxResident chunks: the oldest goes to disk and its array is reused.
                if (_residentOrder.Count >= _maxResident) chunk = Spill(_residentOrder.Dequeue());
                else chunk = new T[ChunkSize];
                _chunks[c] = chunk;
                _residentOrder.Enqueue(c);
            }
            chunk[index & Mask] = item;
        }
        if (index >= Count) Count = index + 1;
    }

    public T this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index));
            var chunk = _chunks[index >> Shift];
            return chunk is not null ? chunk[index & Mask] : ReadSpilled(index);
        }
    }

    private T[] Spill(int c)
    {
        var chunk = _chunks[c]!;
        _file ??= OpenTemp();
        RandomAccess.Write(_file, MemoryMarshal.AsBytes(chunk.AsSpan()), c * ChunkBytes);
        _chunks[c] = null;
        _spilled[c] = true;
        SpilledChunks++;
        Array.Clear(chunk);   // the next chunk's unset items must read as default, as in a new array
        return chunk;
    }

    private T ReadSpilled(int index)
    {
        int c = index >> Shift;
        lock (_cache)
        {
            for (int s = 0; s < CacheSlots; s++)
                if (_cacheIds[s] == c) return _cache[s]![index & Mask];
            int slot = _clock++ % CacheSlots;
            var buffer = _cache[slot] ??= new T[ChunkSize];
            _cacheIds[slot] = -1;
            var bytes = MemoryMarshal.AsBytes(buffer.AsSpan());
            long offset = c * ChunkBytes;
            for (int done = 0; done < bytes.Length;)
            {
                int n = RandomAccess.Read(_file!, bytes[done..], offset + done);
                if (n == 0) { bytes[done..].Clear(); break; }   // the last chunk may end early in the file
                done += n;
            }
            _cacheIds[slot] = c;
            return buffer[index & Mask];
        }
    }

    private void InvalidateCache(int c)
    {
        lock (_cache)
            for (int s = 0; s < CacheSlots; s++)
                if (_cacheIds[s] == c) _cacheIds[s] = -1;
    }

    private static SafeFileHandle OpenTemp()
    {
        string path = Path.Combine(Path.GetTempPath(), $"nettrace-{Environment.ProcessId}-{Guid.NewGuid():N}.spill");
        var h = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.DeleteOnClose);
        // Unlinked at once where the OS allows it: nothing is left behind even if the process is killed.
        if (!OperatingSystem.IsWindows()) File.Delete(path);
        return h;
    }

    public void Dispose() => _file?.Dispose();
}
