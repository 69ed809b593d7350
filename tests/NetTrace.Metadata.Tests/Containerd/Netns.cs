using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace NetTrace.Metadata.Tests.Containerd;

/// <summary>Test helpers that act inside a pod's network namespace.</summary>
internal static partial class Netns
{
    private const int CLONE_NEWNET = 0x40000000;

    /// <summary>
    /// A TCP listener whose socket lives in <paramref name="netnsPath"/>: a socket belongs to the netns of the
    /// thread that created it, so a short-lived thread enters the netns, creates it, and exits.
    /// </summary>
    public static TcpListener ListenIn(string netnsPath, IPAddress address, int port)
    {
        TcpListener? listener = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var ns = File.OpenHandle(netnsPath);
                if (Setns((int)ns.DangerousGetHandle(), CLONE_NEWNET) != 0)
                    throw new IOException($"setns({netnsPath}) failed: errno {Marshal.GetLastPInvokeError()}");
                listener = new TcpListener(address, port);
                listener.Start();
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        thread.Start();
        thread.Join();
        if (error != null) throw error;
        return listener!;
    }

    /// <summary>
    /// Runs a shell command in the netns through nsenter (a separate process, as a pod's own process would be) and
    /// returns its stdout.
    /// </summary>
    public static async Task<string> RunInAsync(string netnsPath, string script)
    {
        var psi = new ProcessStartInfo("nsenter") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--net=" + netnsPath, "bash", "-c", script }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await p.WaitForExitAsync(timeout.Token);
        if (p.ExitCode != 0) throw new InvalidOperationException($"nsenter {netnsPath} '{script}' failed ({p.ExitCode}): {await stderr}");
        return await stdout;
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int Setns(int fd, int nstype);
}
