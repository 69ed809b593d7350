using System.Text;
using Xunit;
using NetTrace.Tracer.Probes;

namespace NetTrace.Tracer.Tests.Probes;

public sealed unsafe class CommStringsTests
{
    private static string Get(string name, byte filler = 0)
    {
        var buf = new byte[16];
        Array.Fill(buf, filler);
        var bytes = Encoding.UTF8.GetBytes(name);
        bytes.AsSpan(0, Math.Min(16, bytes.Length)).CopyTo(buf);
        if (bytes.Length < 16) buf[bytes.Length] = 0;
        fixed (byte* p = buf) return CommStrings.Get(p);
    }

    [Fact]
    public void Equal_comm_bytes_give_the_same_string_instance_and_different_ones_their_own_text()
    {
        var a = Get("connload");
        Assert.Equal("connload", a);
        Assert.Same(a, Get("connload"));
        Assert.Equal("connloae", Get("connloae"));
        Assert.Equal("ksoftirqd/1", Get("ksoftirqd/1"));
        Assert.Equal("connload", Get("connload")); // still right after other names took slots
    }

    [Fact]
    public void Text_ends_at_the_first_NUL_whatever_follows_and_a_full_16_bytes_is_kept_whole()
    {
        Assert.Equal("nginx", Get("nginx", filler: 0x41));
        Assert.Equal("nginx", Get("nginx"));
        Assert.Equal("0123456789abcdef", Get("0123456789abcdef"));
    }

    [Fact]
    public void Many_distinct_names_colliding_in_slots_each_decode_correctly()
    {
        for (int i = 0; i < 2000; i++)
            Assert.Equal($"task-{i}", Get($"task-{i}"));
    }
}
