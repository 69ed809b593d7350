namespace NetTrace.TestSupport;

/// <summary>
/// One machine-wide lock for tests that stall a CPU on purpose (a large IPv6 route table walked with bottom halves
/// off). `dotnet test NetTrace.sln` runs the test projects as parallel processes, so without it one project's
/// deliberate stall lands inside another project's measurement window and shows up as a stall nobody caused.
/// An flock on a file in /tmp (FileShare.None is an exclusive flock on Linux), so it also ends with a killed process.
/// </summary>
public static class CpuStallLock
{
    private static readonly string LockPath = Path.Combine(Path.GetTempPath(), "nettrace-cpu-stall-tests.lock");

    public static IDisposable Acquire(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(5));
        while (true)
        {
            try
            {
                return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(100);
            }
            catch (IOException e)
            {
                throw new TimeoutException(
                    $"another test process held {LockPath} (a CPU-stalling test) for over {timeout ?? TimeSpan.FromMinutes(5)}", e);
            }
        }
    }
}
