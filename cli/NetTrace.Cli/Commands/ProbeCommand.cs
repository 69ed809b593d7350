using System.CommandLine;

namespace NetTrace.Cli.Commands;

/// <summary>`nettrace probe`: kernel facts and each probe's chosen attach point.</summary>
public static class ProbeCommand
{
    public static Command Create()
    {
        var json = CommonOptions.Json();
        var cmd = new Command("probe",
            "Show what this kernel allows for tracing (BTF, kprobes, fentry, tracefs, libbpf version) and, for every " +
            "probe, the attach point `nettrace trace` would use and why each other candidate was rejected. Changes " +
            "nothing: at most a tiny fentry test program is loaded and closed again, never attached. Exit code 0 = " +
            "every probe can run, 1 = some cannot, 2 = the kernel could not be examined. Also says which pod metadata " +
            "sources answer (CRI socket, apiserver) and why the others do not; they are optional and do not change " +
            "the exit code.\n\n" +
            "Examples:\n" +
            "  sudo nettrace probe\n" +
            "  sudo nettrace probe --json | jq '.probes[] | {name, usable}'\n" +
            "  sudo nettrace probe --cri-endpoint unix:///run/k3s/containerd/containerd.sock --kubeconfig ~/.kube/config");
        var criEndpoint = CommonOptions.CriEndpoint();
        var kubeconfig = CommonOptions.Kubeconfig();
        cmd.Options.Add(json);
        cmd.Options.Add(criEndpoint);
        cmd.Options.Add(kubeconfig);
        cmd.SetAction((ParseResult pr, CancellationToken ct) =>
            Task.FromResult(ProbeHandler.Run(new ProbeOptions
            {
                Json = pr.GetValue(json), CriEndpoint = pr.GetValue(criEndpoint), Kubeconfig = pr.GetValue(kubeconfig),
            }, Console.Out, Console.Error, ct)));
        return cmd;
    }
}
