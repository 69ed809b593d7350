using System.Diagnostics;

namespace NetTrace.Lab.SnatRace;

/// <summary>Runs the system tools the lab is built with (ip, iptables-nft) and fails loudly with their stderr.</summary>
internal static class Cmd
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs and throws <see cref="LabException"/> with the command line and its stderr when it fails.</summary>
    public static string Check(string file, params string[] args)
    {
        Result r;
        try { r = Run(file, args); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new LabException($"'{file}' is not installed or not runnable ({e.Message}); run ./scripts/setup.sh");
        }
        if (r.ExitCode != 0)
            throw new LabException($"'{file} {string.Join(' ', args)}' failed (exit {r.ExitCode}): {r.Stderr.Trim()}");
        return r.Stdout;
    }
}

public sealed class LabException(string message) : Exception(message);
