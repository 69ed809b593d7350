using NetTrace.Lab.SnatRace;
using Xunit;

namespace NetTrace.Lab.Tests;

public class SnatRaceNamesTests
{
    [Fact]
    public void Names_carry_the_owner_pid()
    {
        var n = new SnatRaceNames(4242, "abc123");
        Assert.Equal("ntsr-4242-abc123-node", n.Node);
        Assert.Equal("ntsr-4242-abc123-pod3", n.Pod(3));
        Assert.Equal(4242, SnatRaceNames.OwnerOf(n.Server));
        Assert.Null(SnatRaceNames.OwnerOf("cni-1234"));
        Assert.Null(SnatRaceNames.OwnerOf("ntsr-x-node"));
    }
}
