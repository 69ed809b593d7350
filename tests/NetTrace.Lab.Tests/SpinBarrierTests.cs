using NetTrace.Lab.SnatRace;
using Xunit;

namespace NetTrace.Lab.Tests;

public class SpinBarrierTests
{
    [Fact]
    public void Releases_all_participants_round_after_round()
    {
        var b = new SpinBarrier(2);
        int rounds = 0;
        var t = new Thread(() => { for (int i = 0; i < 1000; i++) b.SignalAndWait(CancellationToken.None); });
        t.Start();
        for (int i = 0; i < 1000; i++) { b.SignalAndWait(CancellationToken.None); rounds++; }
        Assert.True(t.Join(5000));
        Assert.Equal(1000, rounds);
    }

    [Fact]
    public void A_broken_barrier_releases_the_waiter_instead_of_spinning_forever()
    {
        var b = new SpinBarrier(2);
        Exception? seen = null;
        var t = new Thread(() => { try { b.SignalAndWait(CancellationToken.None); } catch (Exception e) { seen = e; } });
        t.Start();
        Thread.Sleep(50);
        b.Break();
        Assert.True(t.Join(5000), "waiter still spinning after Break");
        Assert.IsType<OperationCanceledException>(seen);
    }
}
