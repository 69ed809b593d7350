namespace NetTrace.Tracer.Libbpf;

/// <summary>An attached program. Dispose detaches it; links are fd-based and never pinned, so the kernel also
/// detaches them when the process exits, however it exits.</summary>
public sealed class BpfLink : IDisposable
{
    private readonly BpfLinkHandle _handle;
    public string Program { get; }

    internal BpfLink(BpfLinkHandle handle, string program) { _handle = handle; Program = program; }

    public bool IsAttached => !_handle.IsClosed && !_handle.IsInvalid;

    public int Fd
    {
        get
        {
            bool added = false;
            _handle.DangerousAddRef(ref added);
            try { return Native.bpf_link__fd(_handle.DangerousGetHandle()); }
            finally { if (added) _handle.DangerousRelease(); }
        }
    }

    public void Dispose() => _handle.Dispose();
}
