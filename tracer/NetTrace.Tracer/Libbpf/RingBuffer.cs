using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace NetTrace.Tracer.Libbpf;

/// <summary>Receives one ring-buffer record. The span is only valid during the call.</summary>
public delegate void RingSampleHandler(ReadOnlySpan<byte> data);

/// <summary>
/// libbpf ring_buffer over one or more BPF_MAP_TYPE_RINGBUF maps. Handlers run on the thread calling
/// <see cref="Poll"/>; an exception in a handler stops the poll and is rethrown from Poll — it never
/// unwinds through native frames. Not thread-safe: poll from one thread at a time.
/// </summary>
public sealed unsafe class RingBuffer : IDisposable
{
    private RingBufferHandle? _handle;
    private readonly List<GCHandle> _subscriptions = [];
    private ExceptionDispatchInfo? _pending;

    private sealed class Subscription(RingBuffer owner, RingSampleHandler handler)
    {
        public readonly RingBuffer Owner = owner;
        public readonly RingSampleHandler Handler = handler;
    }

    public void Add(BpfMap map, RingSampleHandler handler)
    {
        var gch = GCHandle.Alloc(new Subscription(this, handler));
        try
        {
            if (_handle == null)
            {
                var rb = Native.ring_buffer__new(map.Fd, &OnSample, (void*)GCHandle.ToIntPtr(gch), null);
                if (rb == 0) throw new LibbpfException($"ring_buffer__new({map.Name})", Marshal.GetLastPInvokeError(), "");
                _handle = new RingBufferHandle(rb);
            }
            else
            {
                int rc = Native.ring_buffer__add(Ptr, map.Fd, &OnSample, (void*)GCHandle.ToIntPtr(gch));
                if (rc != 0) throw new LibbpfException($"ring_buffer__add({map.Name})", rc, "");
            }
        }
        catch
        {
            gch.Free();
            throw;
        }
        _subscriptions.Add(gch);
    }

    private nint Ptr => _handle is { IsClosed: false } h ? h.DangerousGetHandle() : throw new ObjectDisposedException(nameof(RingBuffer));

    /// <summary>Waits up to <paramref name="timeoutMs"/> for records and dispatches them; returns how many.</summary>
    public int Poll(int timeoutMs)
    {
        if (_handle == null) return 0;
        int rc = Native.ring_buffer__poll(Ptr, timeoutMs);
        return Finish(rc, "ring_buffer__poll");
    }

    /// <summary>Dispatches whatever is ready without waiting.</summary>
    public int Consume()
    {
        if (_handle == null) return 0;
        int rc = Native.ring_buffer__consume(Ptr);
        return Finish(rc, "ring_buffer__consume");
    }

    private int Finish(int rc, string op)
    {
        var pending = Interlocked.Exchange(ref _pending, null);
        pending?.Throw();
        if (rc == -4 /* EINTR */) return 0;
        if (rc < 0) throw new LibbpfException(op, rc, "");
        return rc;
    }

    [UnmanagedCallersOnly]
    private static int OnSample(void* ctx, void* data, nuint size)
    {
        Subscription? sub = null;
        try
        {
            sub = (Subscription)GCHandle.FromIntPtr((nint)ctx).Target!;
            sub.Handler(new ReadOnlySpan<byte>(data, checked((int)size)));
            return 0;
        }
        catch (Exception ex)
        {
            if (sub != null) sub.Owner._pending ??= ExceptionDispatchInfo.Capture(ex);
            return -1; // stops this poll round; Poll rethrows
        }
    }

    public void Dispose()
    {
        _handle?.Dispose();
        foreach (var g in _subscriptions) if (g.IsAllocated) g.Free();
        _subscriptions.Clear();
    }
}
