using Microsoft.Win32.SafeHandles;

namespace NetTrace.Tracer.Libbpf;

/// <summary>struct bpf_object*: closing it unloads its programs and maps (links keep attached programs alive).</summary>
internal sealed class BpfObjectHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
{
    internal BpfObjectHandle(nint p) : this() => SetHandle(p);
    protected override bool ReleaseHandle() { Native.bpf_object__close(handle); return true; }
}

/// <summary>struct bpf_link*: destroying it detaches the program. Runs from the finalizer too.</summary>
internal sealed class BpfLinkHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
{
    internal BpfLinkHandle(nint p) : this() => SetHandle(p);
    protected override bool ReleaseHandle() => Native.bpf_link__destroy(handle) == 0;
}

/// <summary>struct ring_buffer*: unmaps the rings and closes its epoll fd (map fds stay with the object).</summary>
internal sealed class RingBufferHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
{
    internal RingBufferHandle(nint p) : this() => SetHandle(p);
    protected override bool ReleaseHandle() { Native.ring_buffer__free(handle); return true; }
}
