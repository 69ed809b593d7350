using NetTrace.Lab.Netns;

namespace NetTrace.Lab.SnatRace;

/// <summary>The lab's calls to ip / iptables-nft, through the shared <see cref="CommandRunner"/> (argument lists,
/// time limit), failing as <see cref="LabException"/> with the command line and its stderr.</summary>
internal static class Cmd
{
    public static CommandResult Run(string file, params string[] args) => CommandRunner.Run(file, args);

    public static string Check(string file, params string[] args)
    {
        CommandResult r;
        try { r = CommandRunner.Run(file, args); }
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
