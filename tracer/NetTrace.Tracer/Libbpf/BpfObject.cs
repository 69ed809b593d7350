using System.Runtime.InteropServices;
using System.Text;

namespace NetTrace.Tracer.Libbpf;

/// <summary>
/// One eBPF ELF object: open (from memory) → configure (autoload, rodata, map sizes) → load → attach programs.
/// Dispose closes it; links attached from it stay valid until they are disposed themselves.
/// </summary>
public sealed unsafe class BpfObject : IDisposable
{
    private readonly BpfObjectHandle _handle;
    private byte* _elf; // libbpf reads the ELF image in place until load: it must outlive the object
    public string Name { get; }
    public bool IsLoaded { get; private set; }

    private BpfObject(BpfObjectHandle handle, byte* elf, string name) { _handle = handle; _elf = elf; Name = name; }

    public static BpfObject Open(ReadOnlySpan<byte> elf, string name)
    {
        using var cap = LibbpfLog.BeginCapture();
        var copy = (byte*)NativeMemory.Alloc((nuint)elf.Length);
        elf.CopyTo(new Span<byte>(copy, elf.Length));
        var nameBytes = Encoding.UTF8.GetBytes(name + "\0");
        nint obj;
        fixed (byte* n = nameBytes)
        {
            var opts = new BpfObjectOpenOpts { Size = (nuint)sizeof(BpfObjectOpenOpts), ObjectName = n };
            obj = Native.bpf_object__open_mem(copy, (nuint)elf.Length, &opts);
        }
        if (obj == 0)
        {
            int err = Marshal.GetLastPInvokeError();
            NativeMemory.Free(copy);
            throw new LibbpfException($"bpf_object__open_mem({name})", err, cap.Text);
        }
        return new BpfObject(new BpfObjectHandle(obj), copy, name);
    }

    internal nint Ptr
    {
        get
        {
            ThrowIfDisposed();
            return _handle.DangerousGetHandle();
        }
    }

    internal void ThrowIfDisposed()
    {
        if (_handle.IsClosed) throw new ObjectDisposedException($"bpf object '{Name}'");
    }

    public BpfProgram Program(string name)
    {
        var p = Native.bpf_object__find_program_by_name(Ptr, name);
        if (p == 0) throw new InvalidOperationException($"bpf object '{Name}' has no program '{name}'");
        return new BpfProgram(p, name, this);
    }

    /// <summary>Every program in the object, in ELF order.</summary>
    public IReadOnlyList<BpfProgram> Programs()
    {
        var list = new List<BpfProgram>();
        for (nint p = Native.bpf_object__next_program(Ptr, 0); p != 0; p = Native.bpf_object__next_program(Ptr, p))
            list.Add(new BpfProgram(p, Marshal.PtrToStringUTF8((nint)Native.bpf_program__name(p)) ?? "", this));
        return list;
    }

    public BpfMap Map(string name)
    {
        var m = Native.bpf_object__find_map_by_name(Ptr, name);
        if (m == 0) throw new InvalidOperationException($"bpf object '{Name}' has no map '{name}'");
        return new BpfMap(m, name, this);
    }

    /// <summary>Sets a <c>const volatile</c> global before load: its bytes are written at the offset the object's BTF
    /// gives for the variable inside .rodata. The value's size must match the C variable's.</summary>
    public void SetReadOnlyGlobal<T>(string variable, in T value) where T : unmanaged
    {
        if (IsLoaded) throw new InvalidOperationException("read-only globals are frozen at load");
        using var btf = Btf.Borrow(Native.bpf_object__btf(Ptr));
        var loc = btf.DatasecVariable(".rodata", variable)
                  ?? throw new InvalidOperationException($"bpf object '{Name}' has no .rodata variable '{variable}'");
        if (loc.Size != sizeof(T))
            throw new InvalidOperationException($"'{variable}' is {loc.Size} bytes in C, {typeof(T).Name} is {sizeof(T)}");
        var data = Map(".rodata").InitialValue();
        MemoryMarshal.Write(data.Slice((int)loc.Offset, sizeof(T)), in value);
    }

    public void Load()
    {
        using var cap = LibbpfLog.BeginCapture();
        int rc = Native.bpf_object__load(Ptr);
        if (rc != 0) throw new LibbpfException($"bpf_object__load({Name})", rc, cap.Text);
        IsLoaded = true;
        // libbpf has released its ELF view at the end of load: the image is no longer needed.
        FreeElf();
    }

    private void FreeElf()
    {
        var p = _elf;
        _elf = null;
        if (p != null) NativeMemory.Free(p);
    }

    public void Dispose()
    {
        _handle.Dispose();
        FreeElf();
    }
}

/// <summary>A program inside an object (not owned: lives as long as the object).</summary>
public sealed class BpfProgram
{
    private readonly nint _prog;
    private readonly BpfObject _owner;
    public string Name { get; }

    internal BpfProgram(nint prog, string name, BpfObject owner) { _prog = prog; Name = name; _owner = owner; }

    public unsafe string Section
    {
        get { _owner.ThrowIfDisposed(); return Marshal.PtrToStringUTF8((nint)Native.bpf_program__section_name(_prog)) ?? ""; }
    }

    /// <summary>Before load: unchosen attach candidates are not loaded (the kernel may not even have their target).</summary>
    public void SetAutoload(bool autoload)
    {
        _owner.ThrowIfDisposed();
        int rc = Native.bpf_program__set_autoload(_prog, autoload);
        if (rc != 0) throw new LibbpfException($"bpf_program__set_autoload({Name})", rc, "");
    }

    /// <summary>Before load: retargets an fentry/fexit/tp_btf program to another kernel function or tracepoint.</summary>
    public void SetAttachTarget(string target)
    {
        _owner.ThrowIfDisposed();
        int rc = Native.bpf_program__set_attach_target(_prog, 0, target);
        if (rc != 0) throw new LibbpfException($"bpf_program__set_attach_target({Name}, {target})", rc, "");
    }

    /// <summary>Attaches a perf_event program to an open perf event. The link owns the event fd from then on
    /// (libbpf closes it on detach); on failure the caller still owns it.</summary>
    public BpfLink AttachPerfEvent(int perfEventFd)
    {
        _owner.ThrowIfDisposed();
        if (!_owner.IsLoaded) throw new InvalidOperationException($"attach '{Name}': object not loaded");
        using var cap = LibbpfLog.BeginCapture();
        var link = Native.bpf_program__attach_perf_event(_prog, perfEventFd);
        if (link == 0) throw new LibbpfException($"bpf_program__attach_perf_event({Name})", Marshal.GetLastPInvokeError(), cap.Text);
        return new BpfLink(new BpfLinkHandle(link), Name);
    }

    /// <summary>Attaches according to the program's section (tp_btf/, tracepoint/, raw_tp/, kprobe/, fentry/).</summary>
    public BpfLink Attach()
    {
        _owner.ThrowIfDisposed();
        if (!_owner.IsLoaded) throw new InvalidOperationException($"attach '{Name}': object not loaded");
        using var cap = LibbpfLog.BeginCapture();
        var link = Native.bpf_program__attach(_prog);
        if (link == 0) throw new LibbpfException($"bpf_program__attach({Name})", Marshal.GetLastPInvokeError(), cap.Text);
        return new BpfLink(new BpfLinkHandle(link), Name);
    }
}
