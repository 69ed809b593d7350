using System.Runtime.InteropServices;

namespace NetTrace.Tracer.Libbpf;

/// <summary>
/// P/Invoke into Debian's libbpf.so.1 (1.1.x API). Only calls present in libbpf 1.1 are declared.
/// libbpf 1.x convention: pointer-returning calls give NULL and set errno; int-returning ones return -errno.
/// </summary>
internal static unsafe partial class Native
{
    private const string Lib = "libbpf.so.1";

    // --- library ---
    [LibraryImport(Lib)] internal static partial uint libbpf_major_version();
    [LibraryImport(Lib)] internal static partial uint libbpf_minor_version();
    [LibraryImport(Lib)] internal static partial int libbpf_strerror(int err, byte* buf, nuint size);
    [LibraryImport(Lib)] internal static partial nint libbpf_set_print(delegate* unmanaged<int, byte*, nint, int> fn);

    // --- objects ---
    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint bpf_object__open_mem(void* buf, nuint size, BpfObjectOpenOpts* opts);
    [LibraryImport(Lib)] internal static partial int bpf_object__load(nint obj);
    [LibraryImport(Lib)] internal static partial void bpf_object__close(nint obj);
    [LibraryImport(Lib)] internal static partial nint bpf_object__btf(nint obj);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint bpf_object__find_program_by_name(nint obj, string name);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint bpf_object__find_map_by_name(nint obj, string name);

    // --- programs ---
    [LibraryImport(Lib)] internal static partial int bpf_program__set_autoload(nint prog, [MarshalAs(UnmanagedType.U1)] bool autoload);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int bpf_program__set_attach_target(nint prog, int attachProgFd, string? attachFuncName);
    [LibraryImport(Lib, SetLastError = true)] internal static partial nint bpf_program__attach(nint prog);
    [LibraryImport(Lib, SetLastError = true)] internal static partial nint bpf_program__attach_perf_event(nint prog, int perfEventFd);
    [LibraryImport(Lib)] internal static partial int bpf_program__fd(nint prog);
    [LibraryImport(Lib)] internal static partial nint bpf_object__next_program(nint obj, nint prev);
    [LibraryImport(Lib)] internal static partial byte* bpf_program__name(nint prog);
    [LibraryImport(Lib)] internal static partial byte* bpf_program__section_name(nint prog);

    // --- links ---
    [LibraryImport(Lib)] internal static partial int bpf_link__destroy(nint link);
    [LibraryImport(Lib)] internal static partial int bpf_link__fd(nint link);

    // --- maps ---
    [LibraryImport(Lib)] internal static partial int bpf_map__fd(nint map);
    [LibraryImport(Lib)] internal static partial int bpf_map__set_max_entries(nint map, uint maxEntries);
    [LibraryImport(Lib)] internal static partial uint bpf_map__max_entries(nint map);
    [LibraryImport(Lib)] internal static partial uint bpf_map__key_size(nint map);
    [LibraryImport(Lib)] internal static partial uint bpf_map__value_size(nint map);
    [LibraryImport(Lib)] internal static partial void* bpf_map__initial_value(nint map, nuint* size);

    [LibraryImport(Lib)] internal static partial int bpf_map_lookup_elem(int fd, void* key, void* value);
    [LibraryImport(Lib)] internal static partial int bpf_map_update_elem(int fd, void* key, void* value, ulong flags);
    [LibraryImport(Lib)] internal static partial int bpf_map_delete_elem(int fd, void* key);
    [LibraryImport(Lib)] internal static partial int bpf_map_lookup_and_delete_elem(int fd, void* key, void* value);
    [LibraryImport(Lib)] internal static partial int bpf_map_get_next_key(int fd, void* key, void* nextKey);
    // opts may be null (libbpf: elem_flags = flags = 0). in_batch null = start; out_batch is the resume token.
    [LibraryImport(Lib)]
    internal static partial int bpf_map_lookup_and_delete_batch(int fd, void* inBatch, void* outBatch, void* keys,
        void* values, uint* count, void* opts);
    [LibraryImport(Lib)] internal static partial int libbpf_num_possible_cpus();

    // --- ring buffers ---
    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint ring_buffer__new(int mapFd, delegate* unmanaged<void*, void*, nuint, int> sample, void* ctx, void* opts);
    [LibraryImport(Lib)]
    internal static partial int ring_buffer__add(nint rb, int mapFd, delegate* unmanaged<void*, void*, nuint, int> sample, void* ctx);
    [LibraryImport(Lib)] internal static partial int ring_buffer__poll(nint rb, int timeoutMs);
    [LibraryImport(Lib)] internal static partial int ring_buffer__consume(nint rb);
    [LibraryImport(Lib)] internal static partial void ring_buffer__free(nint rb);

    // --- BTF ---
    [LibraryImport(Lib, SetLastError = true)] internal static partial nint btf__load_vmlinux_btf();
    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint btf__parse(string path, nint extOut);
    [LibraryImport(Lib)] internal static partial void btf__free(nint btf);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int btf__find_by_name_kind(nint btf, string name, uint kind);
    [LibraryImport(Lib)] internal static partial BtfType* btf__type_by_id(nint btf, uint id);
    [LibraryImport(Lib)] internal static partial byte* btf__name_by_offset(nint btf, uint offset);
    [LibraryImport(Lib)] internal static partial uint btf__type_cnt(nint btf);

    // libc: formats libbpf's printf-style log lines (va_list is a pointer on x86_64 and arm64 SysV).
    [LibraryImport("libc")] internal static partial int vsnprintf(byte* buf, nuint size, byte* format, nint args);
}

/// <summary>struct bpf_object_open_opts prefix we set (libbpf accepts a smaller sz than it knows).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct BpfObjectOpenOpts
{
    public nuint Size;
    public byte* ObjectName;
    public byte RelaxedMaps;
}

/// <summary>struct btf_type: name_off, info (vlen:16, kind:5 at bit 24, kind_flag at bit 31), size/type.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct BtfType
{
    public uint NameOff;
    public uint Info;
    public uint SizeOrType;
    public readonly int Vlen => (int)(Info & 0xffff);
    public readonly uint Kind => (Info >> 24) & 0x1f;
    public readonly bool KindFlag => (Info >> 31) != 0;
}
