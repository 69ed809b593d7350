using System.Diagnostics;

namespace NetTrace.Cli.Commands;

/// <summary>Runs a read-only system tool, inside another network namespace when one is given (nsenter --net).</summary>
public sealed class DoctorTools(string? netnsPath)
{
    public sealed record Output(bool Ran, int ExitCode, string Stdout, string Stderr);

    public string? NetnsPath { get; } = netnsPath;

    public static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':')
            .Append("/usr/sbin").Append("/sbin").Any(d => File.Exists(Path.Combine(d, tool)));

    public Output Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(NetnsPath == null ? tool : "nsenter")
        { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (NetnsPath != null) { psi.ArgumentList.Add($"--net={NetnsPath}"); psi.ArgumentList.Add("--"); psi.ArgumentList.Add(tool); }
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var o = p.StandardOutput.ReadToEndAsync();
            var e = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(15000)) { p.Kill(); return new Output(true, -1, "", $"{tool} did not finish in 15 s"); }
            return new Output(true, p.ExitCode, o.Result, e.Result);
        }
        catch (System.ComponentModel.Win32Exception ex) { return new Output(false, -1, "", ex.Message); }
    }
}
