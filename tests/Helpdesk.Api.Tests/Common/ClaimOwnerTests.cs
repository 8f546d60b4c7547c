using System.Diagnostics;
using Helpdesk.Api.Common;

namespace Helpdesk.Api.Tests.Common;

/// <summary>Which claims a restarted process may take over at once: those of a dead process of its own host, and no others.</summary>
public sealed class ClaimOwnerTests
{
    private static readonly string Host = ClaimOwner.ThisProcess.Name.Split('|')[0];

    [Fact]
    public void A_claim_of_a_process_of_this_host_that_no_longer_runs_is_stale() =>
        ClaimOwner.ThisProcess.IsStale(DeadProcess().Name).ShouldBeTrue();

    [Fact]
    public void A_claim_of_a_running_process_of_this_host_is_not_stale() =>
        ClaimOwner.ThisProcess.IsStale(new ClaimOwner(Host, Environment.ProcessId, StartedAt(Process.GetCurrentProcess())).Name).ShouldBeFalse();

    [Fact]
    public void A_claim_whose_process_id_now_belongs_to_a_process_started_at_another_time_is_stale() =>
        ClaimOwner.ThisProcess.IsStale(new ClaimOwner(Host, Environment.ProcessId, StartedAt(Process.GetCurrentProcess()) - 3600).Name).ShouldBeTrue();

    [Fact]
    public void A_claim_of_another_host_keeps_its_lease() =>
        ClaimOwner.ThisProcess.IsStale(new ClaimOwner(Host + "-elsewhere", int.MaxValue - 1, 0).Name).ShouldBeFalse();

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not a claim")]
    [InlineData("host|pid|start")]
    public void A_claim_that_names_no_process_is_never_taken_over(string? claimedBy) =>
        ClaimOwner.ThisProcess.IsStale(claimedBy).ShouldBeFalse();

    /// <summary>A process of this host that is not running: no process has this id.</summary>
    public static ClaimOwner DeadProcess() => new(Host, int.MaxValue - 1, 0);

    private static long StartedAt(Process process) => new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeSeconds();
}
