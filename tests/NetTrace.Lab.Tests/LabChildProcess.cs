using System.Diagnostics;
using System.Runtime.InteropServices;
using Xunit;

namespace NetTrace.Lab.Tests;

/// <summary>
/// The real `nettrace` executable started as a child process, so a test can signal it the way a user or the kubelet
/// would and then check what it left behind. Stderr is collected line by line (a test may wait for a progress line);
/// stdout is drained so a full pipe never blocks the child.
/// </summary>
internal sealed class LabChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _stderr = [];
    private readonly TaskCompletionSource _stderrLineSeen = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Func<string, bool> _awaitedLine;

    private LabChildProcess(IEnumerable<string> args, Func<string, bool>? awaitedLine, CancellationToken ct)
    {
        _awaitedLine = awaitedLine ?? (_ => false);
        // Through `env --default-signal`: a test run started in the background of a non-interactive shell (nohup, a CI
        // script's `&`) inherits SIGINT ignored, the child would inherit that too and Ctrl-C could not be tested.
        // env execs dotnet: same pid, so the signals still reach the lab.
        var psi = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("--default-signal=INT,TERM");
        psi.ArgumentList.Add("dotnet");
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "nettrace.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data == null) return;
            lock (_stderr) _stderr.Add(e.Data);
            if (_awaitedLine(e.Data)) _stderrLineSeen.TrySetResult();
        };
        _process.BeginErrorReadLine();
        _ = _process.StandardOutput.ReadToEndAsync(ct);
    }

    /// <summary>Starts `nettrace ARGS`; <paramref name="awaitedLine"/> picks the stderr line <see cref="StderrLineSeen"/> waits for.</summary>
    public static LabChildProcess Start(IEnumerable<string> args, CancellationToken ct, Func<string, bool>? awaitedLine = null) =>
        new(args, awaitedLine, ct);

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>Completes when a stderr line matching the start's predicate arrives.</summary>
    public Task StderrLineSeen => _stderrLineSeen.Task;

    /// <summary>Stderr so far; complete once <see cref="WaitForExit"/> returned true.</summary>
    public string Stderr() { lock (_stderr) return string.Join('\n', _stderr); }

    public Task WaitForExitAsync(CancellationToken ct) => _process.WaitForExitAsync(ct);

    /// <summary>Waits up to <paramref name="timeoutMs"/> for the child to exit; on exit also waits until all its stderr is read.</summary>
    public bool WaitForExit(int timeoutMs)
    {
        if (!_process.WaitForExit(timeoutMs)) return false;
        _process.WaitForExit();   // the no-timeout overload also drains the redirected streams
        return true;
    }

    public void Signal(int signal) => Assert.Equal(0, kill(_process.Id, signal));

    /// <summary>tcpdump processes the child (or a descendant of it) started that are still running.</summary>
    public IEnumerable<Process> OwnTcpdumps() =>
        Process.GetProcessesByName("tcpdump").Where(t => ParentChainContains(t.Id, _process.Id));

    /// <summary>Kills the child's whole tree if it still runs and waits for it, so cleanup after this does not race it.</summary>
    public void EnsureExited()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        EnsureExited();
        _process.Dispose();
    }

    private static bool ParentChainContains(int pid, int ancestor)
    {
        for (int i = 0; i < 10 && pid > 1; i++)
        {
            if (pid == ancestor) return true;
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                pid = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
            }
            catch (IOException) { return false; }
        }
        return false;
    }

    [DllImport("libc", SetLastError = true)] private static extern int kill(int pid, int sig);
}
