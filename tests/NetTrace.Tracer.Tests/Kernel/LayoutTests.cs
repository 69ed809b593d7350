using System.Reflection;
using System.Runtime.InteropServices;
using NetTrace.Tracer.Libbpf;
using NetTrace.Tracer.Probes;
using NetTrace.Tracer.Probes.Native;
using Xunit;

namespace NetTrace.Tracer.Tests.Kernel;

/// <summary>The C# mirrors of bpf/*.h must match the C structs byte for byte: sizes and every field offset are
/// compared with the BTF that clang wrote into the embedded objects. No privileges needed.</summary>
public sealed class LayoutTests
{
    public static TheoryData<string, string, Type> Structs => new()
    {
        { "tcpconnect", "tcpconnect_event", typeof(TcpconnectEvent) },
        { "tcpconnect", "tcpconnect_config", typeof(TcpconnectConfig) },
        { "tcpconnect", "nt_header", typeof(NtHeader) },
        { "tcpconnect", "nt_tuple", typeof(NtTuple) },
        { "tcpconnect", "nt_filter", typeof(NtFilter) },
        { "tcpsendmsg", "sendmsg_key", typeof(SendmsgKey) },
        { "tcpsendmsg", "sendmsg_value", typeof(SendmsgValue) },
        { "tcpsendmsg", "tcpsendmsg_config", typeof(TcpsendmsgConfig) },
        { "icmpecho", "icmpecho_event", typeof(IcmpechoEvent) },
        { "icmpecho", "icmpecho_config", typeof(IcmpechoConfig) },
        { "drops", "drop_event", typeof(NetTrace.Tracer.Probes.Native.DropEvent) },
        { "drops", "drops_config", typeof(DropsConfig) },
        { "softirqs", "softirq_event", typeof(NetTrace.Tracer.Probes.Native.SoftirqEvent) },
        { "softirqs", "softirq_hist", typeof(SoftirqHist) },
        { "softirqs", "softirqs_config", typeof(SoftirqsConfig) },
        { "rxlatency", "rxlat_event", typeof(RxlatEvent) },
        { "rxlatency", "rxlat_hist", typeof(RxlatHist) },
        { "rxlatency", "rxlatency_config", typeof(RxlatencyConfig) },
        { "cpugaps", "cpugap_event", typeof(CpugapEvent) },
        { "cpugaps", "cpugaps_config", typeof(CpugapsConfig) },
    };

    [Theory]
    [MemberData(nameof(Structs))]
    public void CSharp_mirror_matches_the_C_struct(string obj, string cStruct, Type mirror)
    {
        var path = Path.Combine(Path.GetTempPath(), $"nt-layout-{Environment.ProcessId}-{obj}.bpf.o");
        File.WriteAllBytes(path, EmbeddedObjects.Read(obj));
        try
        {
            using var btf = Btf.Parse(path);
            var s = btf.Struct(cStruct);
            Assert.True(s != null, $"struct {cStruct} not in {obj}.bpf.o's BTF");
            Assert.Equal((int)s!.Size, Marshal.SizeOf(mirror));
            var fields = mirror.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
                .ToDictionary(f => f.Name);
            foreach (var m in s.Members)
            {
                var name = Pascal(m.Name);
                Assert.True(fields.ContainsKey(name), $"{mirror.Name} lacks field {name} (C {cStruct}.{m.Name})");
                Assert.True(m.BitOffset % 8 == 0, $"{cStruct}.{m.Name} is a bitfield");
                Assert.Equal((int)(m.BitOffset / 8), (int)Marshal.OffsetOf(mirror, name));
            }
            Assert.Equal(s.Members.Count, fields.Count);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string Pascal(string c) => c.StartsWith('_')
        ? c
        : string.Concat(c.Split('_').Select(p => p.Length == 0 ? p : char.ToUpperInvariant(p[0]) + p[1..]));
}
