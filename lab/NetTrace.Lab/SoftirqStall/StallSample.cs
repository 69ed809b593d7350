namespace NetTrace.Lab.SoftirqStall;

/// <summary>
/// One stall the lab caused, as the lab measured it: the wall-clock start and length of the one system call that
/// held bottom halves off (an MTU change, or the agent's read), on the CPU it really ran on, and the CPU time the
/// thread spent in it. The two differ when the thread is preempted the moment it re-enables bottom halves (other
/// tasks waited through the stall): measured here, 40 ms walks showed up as 40-75 ms calls. Bottom halves off also
/// means no preemption, so the CPU time is the better measure of how long NET_RX was held off.
/// </summary>
public sealed record StallSample(
    int Index,
    double StartUnixSeconds,
    double DurationMs,       // wall time of the call
    double CpuMs,            // the thread's CPU time in the call (CLOCK_THREAD_CPUTIME_ID)
    int Cpu,                 // sched_getcpu() right after the call
    string Task,             // the holding thread's comm
    int Pid,
    int Tid)
{
    public double EndUnixSeconds => StartUnixSeconds + DurationMs / 1000;
}
