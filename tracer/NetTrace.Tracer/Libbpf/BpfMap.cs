using System.Runtime.InteropServices;

namespace NetTrace.Tracer.Libbpf;

/// <summary>A map of a loaded object, used through its fd. Valid while its <see cref="BpfObject"/> is open.</summary>
public sealed unsafe class BpfMap
{
    private readonly nint _map;
    private readonly BpfObject _owner;
    public string Name { get; }

    internal BpfMap(nint map, string name, BpfObject owner) { _map = map; Name = name; _owner = owner; }

    public int Fd
    {
        get
        {
            _owner.ThrowIfDisposed();
            int fd = Native.bpf_map__fd(_map);
            if (fd < 0) throw new InvalidOperationException($"map '{Name}' has no fd (object not loaded?)");
            return fd;
        }
    }

    public int KeySize => (int)Native.bpf_map__key_size(_map);
    public int ValueSize => (int)Native.bpf_map__value_size(_map);
    public uint MaxEntries => Native.bpf_map__max_entries(_map);

    /// <summary>Before load only.</summary>
    public void SetMaxEntries(uint n)
    {
        int rc = Native.bpf_map__set_max_entries(_map, n);
        if (rc < 0) throw new LibbpfException($"bpf_map__set_max_entries({Name}, {n})", rc, "");
    }

    /// <summary>Initial contents of a global-data map (.rodata/.data/.bss); writable before load.</summary>
    public Span<byte> InitialValue()
    {
        nuint size;
        var p = Native.bpf_map__initial_value(_map, &size);
        if (p == null) throw new InvalidOperationException($"map '{Name}' has no initial value");
        return new Span<byte>(p, checked((int)size));
    }

    public bool TryLookup(ReadOnlySpan<byte> key, Span<byte> value)
    {
        fixed (byte* k = key) fixed (byte* v = value)
        {
            int rc = Native.bpf_map_lookup_elem(Fd, k, v);
            if (rc == 0) return true;
            if (rc == -2 /* ENOENT */) return false;
            throw new LibbpfException($"bpf_map_lookup_elem({Name})", rc, "");
        }
    }

    public void Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags = 0)
    {
        fixed (byte* k = key) fixed (byte* v = value)
        {
            int rc = Native.bpf_map_update_elem(Fd, k, v, flags);
            if (rc != 0) throw new LibbpfException($"bpf_map_update_elem({Name})", rc, "");
        }
    }

    /// <summary>Atomically reads and removes one entry. Falls back to lookup + delete on kernels without
    /// BPF_MAP_LOOKUP_AND_DELETE_ELEM for hash maps (before 5.14): a concurrent increment can then be lost.</summary>
    public bool TryLookupAndDelete(ReadOnlySpan<byte> key, Span<byte> value)
    {
        fixed (byte* k = key) fixed (byte* v = value)
        {
            int rc = Native.bpf_map_lookup_and_delete_elem(Fd, k, v);
            if (rc == 0) return true;
            if (rc == -2) return false;
            if (rc != -22 && rc != -524 /* EINVAL, ENOTSUPP */)
                throw new LibbpfException($"bpf_map_lookup_and_delete_elem({Name})", rc, "");
            if (Native.bpf_map_lookup_elem(Fd, k, v) != 0) return false;
            Native.bpf_map_delete_elem(Fd, k);
            return true;
        }
    }

    private int _batchUnsupported; // 1 once the kernel refused BPF_MAP_LOOKUP_AND_DELETE_BATCH for this map

    /// <summary>
    /// Reads and removes entries, up to <c>keys.Length / KeySize</c> per call, with one syscall
    /// (BPF_MAP_LOOKUP_AND_DELETE_BATCH, hash maps since 5.6). <paramref name="token"/> must hold 8 bytes and
    /// carries the position between calls; pass <paramref name="first"/> = true on the first call of a drain.
    /// Returns the number of entries written to <paramref name="keys"/>/<paramref name="values"/> and whether the
    /// map end was reached; -1 when the kernel does not support batch operations on this map (use
    /// <see cref="Keys"/> + <see cref="TryLookupAndDelete"/> then).
    /// </summary>
    public int LookupAndDeleteBatch(Span<byte> keys, Span<byte> values, Span<byte> token, bool first, out bool done)
    {
        done = true;
        if (_batchUnsupported != 0) return -1;
        int ks = KeySize, vs = ValueSize;
        if (token.Length < 8) throw new ArgumentException("token needs 8 bytes", nameof(token));
        uint count = (uint)Math.Min(keys.Length / ks, values.Length / vs);
        if (count == 0) throw new ArgumentException("buffers hold no entry");
        int rc;
        fixed (byte* k = keys) fixed (byte* v = values) fixed (byte* t = token)
            rc = Native.bpf_map_lookup_and_delete_batch(Fd, first ? null : t, t, k, v, &count, null);
        if (rc == 0) { done = false; return (int)count; }
        if (rc == -2 /* ENOENT: end of map, count holds the last entries */) return (int)count;
        if (rc is -22 or -524 or -95 /* EINVAL, ENOTSUPP, EOPNOTSUPP */ && first)
        {
            _batchUnsupported = 1;
            return -1;
        }
        // ENOSPC: one hash bucket holds more entries than the buffer; the caller must pass bigger buffers.
        throw new LibbpfException($"bpf_map_lookup_and_delete_batch({Name})", rc, "");
    }

    /// <summary>All keys present now (a snapshot: entries may come and go meanwhile).</summary>
    public List<byte[]> Keys(int limit = 1 << 20)
    {
        var keys = new List<byte[]>();
        var cur = new byte[KeySize];
        var next = new byte[KeySize];
        bool first = true;
        while (keys.Count < limit)
        {
            int rc;
            fixed (byte* c = cur) fixed (byte* n = next)
                rc = Native.bpf_map_get_next_key(Fd, first ? null : c, n);
            if (rc == -2) break;
            if (rc != 0) throw new LibbpfException($"bpf_map_get_next_key({Name})", rc, "");
            keys.Add((byte[])next.Clone());
            (cur, next) = (next, cur);
            first = false;
        }
        return keys;
    }

    /// <summary>Number of possible CPUs: per-CPU maps return one value slot (rounded up to 8 bytes) per CPU.</summary>
    public static int PossibleCpus
    {
        get
        {
            int n = Native.libbpf_num_possible_cpus();
            if (n <= 0) throw new LibbpfException("libbpf_num_possible_cpus", n, "");
            return n;
        }
    }

    /// <summary>Reads key 0 of a per-CPU array as one <typeparamref name="T"/> per possible CPU.</summary>
    public T[] LookupPerCpu<T>(uint key = 0) where T : unmanaged
    {
        int slot = (ValueSize + 7) & ~7;
        if (sizeof(T) != ValueSize) throw new InvalidOperationException($"map '{Name}': value is {ValueSize} bytes, {typeof(T).Name} is {sizeof(T)}");
        int cpus = PossibleCpus;
        var buf = new byte[slot * cpus];
        if (!TryLookup(MemoryMarshal.AsBytes(new ReadOnlySpan<uint>(ref key)), buf)) return [];
        var result = new T[cpus];
        for (int i = 0; i < cpus; i++) result[i] = MemoryMarshal.Read<T>(buf.AsSpan(i * slot, ValueSize));
        return result;
    }
}
