namespace NetTrace.TestSupport;

/// <summary>Locates ../shared/pcaps (CI has it beside the checkout). Missing = a failing test, not a skip.</summary>
public static class SharedPcaps
{
    public static string Dir
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("NETTRACE_SHARED_PCAPS");
            if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return env;
            var d = new DirectoryInfo(RepoRoot.Path);
            var candidate = Path.Combine(d.Parent!.FullName, "shared", "pcaps");
            if (Directory.Exists(candidate)) return candidate;
            throw new DirectoryNotFoundException($"shared captures not found at {candidate} (set NETTRACE_SHARED_PCAPS)");
        }
    }

    public static string OracleDir => Path.Combine(Dir, "oracle");
    public static string File(string name) => Path.Combine(Dir, name);
}

public static class RepoRoot
{
    public static string Path
    {
        get
        {
            var d = new DirectoryInfo(AppContext.BaseDirectory);
            while (d != null && !System.IO.File.Exists(System.IO.Path.Combine(d.FullName, "NetTrace.sln"))) d = d.Parent;
            return d?.FullName ?? throw new InvalidOperationException("NetTrace.sln not found above " + AppContext.BaseDirectory);
        }
    }
}
