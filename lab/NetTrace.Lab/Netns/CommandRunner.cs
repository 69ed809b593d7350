using System.Diagnostics;

namespace NetTrace.Lab.Netns;

/// <summary>A command that exited non-zero: the command line and its stderr, so the failure says what went wrong.</summary>
public sealed class LabCommandException(string commandLine, int exitCode, string stderr)
    : Exception($"'{commandLine}' exited {exitCode}: {stderr.Trim()}")
{
    public string CommandLine { get; } = commandLine;
    public int ExitCode { get; } = exitCode;
    public string Stderr { get; } = stderr;
}

public sealed record CommandResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs ip / iptables / sysctl with an argument list (no shell, no quoting problems) and a time limit.</summary>
public static class CommandRunner
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    public static async Task<CommandResult> RunAsync(string file, IEnumerable<string> args, bool check = true,
        TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var line = file + " " + string.Join(' ', psi.ArgumentList);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout ?? DefaultTimeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw new TimeoutException($"'{line}' did not finish within {(timeout ?? DefaultTimeout).TotalSeconds:0.#} s");
        }
        var result = new CommandResult(p.ExitCode, await stdout, await stderr);
        if (check && result.ExitCode != 0) throw new LabCommandException(line, result.ExitCode, result.Stderr);
        return result;
    }

    /// <summary>Synchronous variant for cleanup paths that run inside signal / exit handlers.</summary>
    public static CommandResult Run(string file, IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(timeout ?? DefaultTimeout))
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            return new CommandResult(-1, stdout, "timed out");
        }
        return new CommandResult(p.ExitCode, stdout, stderr.GetAwaiter().GetResult());
    }
}
