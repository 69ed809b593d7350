using System.CommandLine;
using NetTrace.Cli.Commands;

namespace NetTrace.Cli;

public static class Program
{
    /// <summary>Exit codes shared by every command.</summary>
    public const int ExitOk = 0;
    public const int ExitWarnings = 1;      // the job ran, but input was damaged or events were lost
    public const int ExitFailed = 2;        // could not do the job (unreadable input, missing privileges)
    public const int ExitUsage = 64;

    public static Task<int> Main(string[] args) => BuildRoot().Parse(args).InvokeAsync();

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "nettrace — find out why packets are late or lost on a Kubernetes node.\n" +
            "Analyze captures and recordings, trace the kernel's network path live with eBPF, and report.");
        // One line per command; each command lives in Commands/<Name>Command.cs.
        root.Subcommands.Add(AnalyzeCommand.Create());
        root.Subcommands.Add(LabCommand.Create());
        root.Subcommands.Add(DoctorCommand.Create());
        root.Subcommands.Add(TraceCommand.Create());
        root.Subcommands.Add(ProbeCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        return root;
    }
}
