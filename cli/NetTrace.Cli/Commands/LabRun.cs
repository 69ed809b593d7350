using System.Runtime.InteropServices;

namespace NetTrace.Cli.Commands;

/// <summary>
/// What every `nettrace lab` handler does around the lab itself: refuse to start without root, turn option errors into
/// a usage exit, make SIGTERM/SIGHUP/SIGINT cancel the run (so the lab's own cleanup runs, not a hard exit), and map
/// an interruption or a lab failure to one stderr line and ExitFailed.
/// </summary>
internal static class LabRun
{
    /// <param name="needsRoot">The line printed when not running as root.</param>
    /// <param name="validate">Throws ArgumentException for options the lab cannot run with.</param>
    /// <param name="run">Runs the lab; cancelled by the token when a signal arrives.</param>
    /// <param name="isLabFailure">The exceptions that mean "the lab could not run here" rather than a bug.</param>
    /// <param name="report">Prints the result and returns the exit code (not reached when the run failed).</param>
    public static async Task<int> RunAsync<T>(string needsRoot, Action validate, Func<CancellationToken, Task<T>> run,
                                              Func<Exception, bool> isLabFailure, Func<T, int> report,
                                              TextWriter stderr, CancellationToken ct)
    {
        if (geteuid() != 0)
        {
            stderr.WriteLine(needsRoot);
            return Program.ExitFailed;
        }
        try { validate(); }
        catch (ArgumentException e) { stderr.WriteLine(e.Message); return Program.ExitUsage; }

        // SIGTERM and SIGHUP must unwind through the lab's cleanup exactly like Ctrl-C does.
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });
        using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => { c.Cancel = true; cts.Cancel(); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cts.Cancel(); });
        T result;
        try
        {
            result = await run(cts.Token);
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("interrupted; the lab's namespaces were removed");
            return Program.ExitFailed;
        }
        catch (Exception e) when (isLabFailure(e))
        {
            stderr.WriteLine($"lab failed: {e.Message}");
            return Program.ExitFailed;
        }
        return report(result);
    }

    [DllImport("libc")] private static extern uint geteuid();
}
