namespace NetTrace.TestSupport;

/// <summary>
/// Privileged tests (BPF, namespaces, containerd) must run in CI. When a requirement is missing they fail with
/// the reason; only an explicit opt-out (NETTRACE_SKIP_PRIVILEGED=1) turns that into a visible skip.
/// </summary>
public static class Privileged
{
    public static bool OptedOut => Environment.GetEnvironmentVariable("NETTRACE_SKIP_PRIVILEGED") == "1";

    /// <summary>Call first in every privileged test.</summary>
    public static void Require(string what = "root")
    {
        if (OptedOut)
            Xunit.Assert.Skip($"privileged test skipped on request (NETTRACE_SKIP_PRIVILEGED=1): needs {what}");
        if (Environment.UserName != "root" && geteuid() != 0)
            throw new InvalidOperationException(
                $"this test needs {what} and runs as root in CI; run as root or set NETTRACE_SKIP_PRIVILEGED=1 to skip on purpose");
    }

    /// <summary>Fails (or skips on opt-out) unless the command exists on PATH.</summary>
    public static void RequireTool(string tool)
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Any(d => File.Exists(Path.Combine(d, tool)));
        if (found) return;
        if (OptedOut) Xunit.Assert.Skip($"skipped on request: '{tool}' not installed");
        throw new InvalidOperationException($"'{tool}' is not installed; run ./scripts/setup.sh");
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern uint geteuid();
}
