using Helpdesk.Api.Common;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Tests.Common;
using Helpdesk.Api.Tests.Infrastructure.FakeGraph;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Tests.Mail;

/// <summary>
/// Two instances sharing the store take an original and its reply in the same instant: the one
/// taking the original holds its conversation's leases in the store, the reply finding them held
/// goes back to the journal for a moment (its attempt not counted) and then threads onto the
/// original's ticket. A dead instance's leases are given up at start-up like its claims.
/// </summary>
public sealed class ConversationLeaseTests(SharedMailApp shared) : IClassFixture<SharedMailApp>
{
    private MailApp Mail => shared.Mail;

    [Fact]
    public async Task A_reply_finding_its_original_taken_in_by_another_instance_waits_uncounted_then_joins_the_originals_ticket()
    {
        const string customer = "una@contoso.com";
        var other = new ClaimOwner("other-instance", 4242, 1);
        var original = new FakeMessage(customer, "Scanner offline", "<p>The scanner is offline.</p>", InternetMessageId: "<lease-original-1@contoso.com>", ConversationId: "conv-lease-1");
        var (originalMail, leaseKeys) = await TakenByAsync(other, original);

        var reply = await Mail.ReceiveAsync(new FakeMessage(
            customer, "RE: Scanner offline", "<p>Still offline.</p>", InternetMessageId: "<lease-reply-1@contoso.com>", ConversationId: "conv-lease-1",
            Headers: new Dictionary<string, string> { ["In-Reply-To"] = "<lease-original-1@contoso.com>" }));
        var waiting = await Mail.InboundOfAsync(reply);
        var ticketsWhileWaiting = await Mail.TicketsOfAsync(customer);

        // The other instance finishes the original (its own leases, its own in-process gates), then releases.
        await using (var scope = Mail.App.Services.CreateAsyncScope())
        {
            var store = StoreOf<IMailThreadIds>(other);
            var intake = ActivatorUtilities.CreateInstance<MailIntake>(scope.ServiceProvider, store, store, new MailConversationLocks());
            await intake.IngestAsync(originalMail, CancellationToken.None);
        }

        // A third instance finds the conversation free once the original settled.
        var third = StoreOf<IMailThreadIds>(new ClaimOwner("third-instance", 4343, 1));
        var now = Mail.App.Clock.GetUtcNow();
        var leftAfterOriginal = await third.LeaseAsync(MailboxId, leaseKeys, -1, now, now.AddMinutes(1), CancellationToken.None);
        await third.ReleaseLeasesAsync(MailboxId, leaseKeys, -1, CancellationToken.None);
        await Mail.IngestAsync();
        var beforeRetry = await Mail.InboundOfAsync(reply);
        Mail.App.Clock.Advance(MailIntake.LeaseRetry);
        await Mail.IngestAsync();
        await Mail.DeliverAsync();

        waiting.State.ShouldBe(InboundStates.Pending);
        waiting.Attempts.ShouldBe(0, "waiting for the lease is not an attempt");
        waiting.Reason.ShouldNotBeNull().ShouldContain("Waiting");
        ticketsWhileWaiting.ShouldBeEmpty();
        leftAfterOriginal.ShouldBeNull("the original's leases went with its settling");
        beforeRetry.State.ShouldBe(InboundStates.Pending, "it is due again seconds later, not at once");

        var ticket = (await Mail.TicketsOfAsync(customer)).ShouldHaveSingleItem();
        var ticketId = ticket["id"]!.GetValue<string>();
        var opened = await Mail.InboundOfAsync(originalMail.GraphId);
        opened.TicketId.ShouldBe(ticketId);
        opened.ThreadedBy.ShouldBe(ThreadSignals.NewTicket);
        var joined = await Mail.InboundOfAsync(reply);
        joined.State.ShouldBe(InboundStates.Done);
        joined.TicketId.ShouldBe(ticketId);
        joined.ThreadedBy.ShouldBe(ThreadSignals.InReplyTo);
        joined.Attempts.ShouldBe(1);
        (await Mail.MessagesAsync(ticketId)).Select(m => m!["text"]!.GetValue<string>()).ShouldBe(["The scanner is offline.", "Still offline."]);
        Mail.SentTo(customer).ShouldHaveSingleItem().Header("X-Helpdesk-Trigger").ShouldBe("ticket.created");
    }

    [Fact]
    public async Task A_dead_instances_leases_are_released_at_start_up_and_a_live_instances_only_when_they_expire()
    {
        const string deadsCustomer = "victor@contoso.com", livesCustomer = "wanda@contoso.com";
        await TakenByAsync(ClaimOwnerTests.DeadProcess(), new FakeMessage(deadsCustomer, "Phone dead", "<p>No dial tone.</p>", InternetMessageId: "<lease-original-2@contoso.com>"));
        await TakenByAsync(new ClaimOwner("live-instance", 4444, 1), new FakeMessage(livesCustomer, "Mouse dead", "<p>No cursor.</p>", InternetMessageId: "<lease-original-3@contoso.com>", ConversationId: "conv-lease-3"));
        var blockedByDead = await Mail.ReceiveAsync(new FakeMessage(
            deadsCustomer, "RE: Phone dead", "<p>Still none.</p>", InternetMessageId: "<lease-reply-2@contoso.com>",
            Headers: new Dictionary<string, string> { ["References"] = "<lease-original-2@contoso.com>" }));
        var blockedByLive = await Mail.ReceiveAsync(new FakeMessage(livesCustomer, "RE: Mouse dead", "<p>Still none.</p>", ConversationId: "conv-lease-3"));

        var released = await Mail.App.Services.GetRequiredService<StaleClaimRecovery>().RecoverAsync(CancellationToken.None);
        Mail.App.Clock.Advance(MailIntake.LeaseRetry);
        await Mail.IngestAsync();
        var liveStillWaits = await Mail.InboundOfAsync(blockedByLive);
        Mail.App.Clock.Advance(IngestMail.Lease);
        await Mail.IngestAsync();

        released.ShouldBeGreaterThanOrEqualTo(2, "the dead instance's claim on its original and its leases");
        liveStillWaits.State.ShouldBe(InboundStates.Pending);
        liveStillWaits.Attempts.ShouldBe(0);
        foreach (var (customer, reply) in new[] { (deadsCustomer, blockedByDead), (livesCustomer, blockedByLive) })
        {
            var ticket = (await Mail.TicketsOfAsync(customer)).ShouldHaveSingleItem();
            var joined = await Mail.InboundOfAsync(reply);
            joined.State.ShouldBe(InboundStates.Done);
            joined.TicketId.ShouldBe(ticket["id"]!.GetValue<string>());
            joined.Attempts.ShouldBe(1);
            (await Mail.MessagesAsync(joined.TicketId!)).Count.ShouldBe(2);
        }
    }

    private string MailboxId => Mail.App.Services.GetRequiredService<IOptions<MailOptions>>().Value.Find(MailApp.Mailbox)!.Id;

    /// <summary>
    /// An instance running as <paramref name="owner"/> claims a newly notified mail and leases its
    /// conversation, as its ingestion does before it threads: the mail is in flight there.
    /// </summary>
    private async Task<(InboundMail Mail, IReadOnlyList<string> Keys)> TakenByAsync(ClaimOwner owner, FakeMessage message)
    {
        if (Mail.Graph.Subscriptions.Count == 0)
        {
            await Mail.RenewAsync();
        }

        var graphId = Mail.Graph.Deliver(MailApp.Mailbox, message);
        (await Mail.Graph.NotifyAsync(MailApp.Mailbox, graphId)).EnsureSuccessStatusCode();
        var now = Mail.App.Clock.GetUtcNow();
        var claimed = (await StoreOf<IMailJournal>(owner).ClaimAsync(now, now + IngestMail.Lease, 100, CancellationToken.None)).Single(m => m.GraphId == graphId);
        var keys = MailConversationLocks.KeysOf(message.InternetMessageId!, [], message.ConversationId).ToList();
        (await StoreOf<IMailThreadIds>(owner).LeaseAsync(MailboxId, keys, claimed.Seq, now, now + IngestMail.Lease, CancellationToken.None)).ShouldBeNull();
        return (claimed, keys);
    }

    /// <summary>The store the app runs on, as a process with another identity would hold it.</summary>
    private T StoreOf<T>(ClaimOwner owner)
        where T : class =>
        (T)ActivatorUtilities.CreateInstance(Mail.App.Services, Mail.App.Services.GetRequiredService<T>().GetType(), owner);
}
