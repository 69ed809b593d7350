using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace NetTrace.Lab.SnatRace;

/// <summary>
/// tcpdump on one interface inside a lab namespace, writing a pcap packet by packet (-U) so that stopping it loses
/// nothing already captured; --immediate-mode hands every packet to tcpdump at once, because packets still waiting
/// in a half-filled capture-ring block when tcpdump is stopped would be lost (they were: the 1 s retransmits at the end). Start returns once tcpdump says it is listening, so no early packet is missed.
/// </summary>
internal sealed partial class TcpdumpCapture : IDisposable
{
    private readonly Process _proc;
    private readonly System.Text.StringBuilder _stderr = new();
    public string File { get; }
    public string Interface { get; }
    /// <summary>Packets the kernel dropped before tcpdump read them (from its exit summary); null if unknown.</summary>
    public long? KernelDrops { get; private set; }
    public long? Captured { get; private set; }

    private TcpdumpCapture(Process p, string file, string iface) { _proc = p; File = file; Interface = iface; }

    public static TcpdumpCapture Start(string netns, string iface, string file, string filter)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", netns, "tcpdump", "-i", iface, "-n", "-U", "--immediate-mode", "-Z", "root", "-s", "256", "-w", file, filter })
            psi.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new LabException($"cannot start tcpdump: {e.Message}"); }
        var cap = new TcpdumpCapture(p, file, iface);
        var listening = new TaskCompletionSource();
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data == null) return;
            lock (cap._stderr) cap._stderr.AppendLine(e.Data);
            if (e.Data.Contains("listening on", StringComparison.Ordinal)) listening.TrySetResult();
        };
        p.OutputDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        var exited = p.WaitForExitAsync();
        if (Task.WaitAny([listening.Task, exited], TimeSpan.FromSeconds(10)) != 0)
        {
            cap.Dispose();
            throw new LabException($"tcpdump on {iface} did not start: {cap.Stderr.Trim()} (is tcpdump installed? run ./scripts/setup.sh)");
        }
        return cap;
    }

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>Stops tcpdump (SIGTERM lets it write its statistics) and reads how many packets it got and lost.</summary>
    public void Stop()
    {
        if (_proc.HasExited) return;
        kill(_proc.Id, 15);
        if (!_proc.WaitForExit(5000)) _proc.Kill();
        _proc.WaitForExit();
        var err = Stderr;
        if (CapturedRe().Match(err) is { Success: true } c) Captured = long.Parse(c.Groups[1].Value);
        if (DroppedRe().Match(err) is { Success: true } d) KernelDrops = long.Parse(d.Groups[1].Value);
    }

    public void Dispose()
    {
        try { Stop(); } catch (InvalidOperationException) { }
        _proc.Dispose();
    }

    [GeneratedRegex(@"(\d+) packets? captured")] private static partial Regex CapturedRe();
    [GeneratedRegex(@"(\d+) packets? dropped by kernel")] private static partial Regex DroppedRe();
    [DllImport("libc")] private static extern int kill(int pid, int sig);
}
