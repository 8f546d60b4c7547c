using System.Net;
using System.Text;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Api.Tests.Infrastructure.FakeGraph;

namespace Helpdesk.Api.Tests.Mail;

/// <summary>
/// Subscriptions, the webhook receiver and the delta catch-up, against the fake Graph. The
/// receiver's tests share one app (each notifies about mail of its own and reads back only its
/// rows); the tests of a subscription's life and of the delta catch-up start their own, as they
/// count the subscription and delta requests of the one mailbox and move its clock by days.
/// </summary>
public sealed class GraphSubscriptionTests(SharedMailApp shared) : IClassFixture<SharedMailApp>
{
    private readonly MailApp _shared = shared.Mail;
    private readonly string _alice = $"alice.{Guid.NewGuid():N}@contoso.com";

    /// <summary>The journal rows, pending or not, of these Graph messages.</summary>
    private async Task<List<Helpdesk.Api.Mail.InboundMailView>> InboundOfAsync(params string[] graphIds)
    {
        var rows = new List<Helpdesk.Api.Mail.InboundMailView>();
        foreach (var state in new[] { Helpdesk.Api.Mail.InboundStates.Pending, Helpdesk.Api.Mail.InboundStates.Done, Helpdesk.Api.Mail.InboundStates.Filtered, Helpdesk.Api.Mail.InboundStates.Duplicate, Helpdesk.Api.Mail.InboundStates.Quarantined, Helpdesk.Api.Mail.InboundStates.Dropped, Helpdesk.Api.Mail.InboundStates.Dead, Helpdesk.Api.Mail.InboundStates.Gone })
        {
            rows.AddRange((await _shared.InboundAsync(state)).Where(m => graphIds.Contains(m.GraphId)));
        }

        return rows;
    }

    [Fact]
    public async Task The_handshake_echoes_the_validation_token_as_plain_text()
    {
        using var client = _shared.App.CreateClient();

        var response = await client.PostAsync("/api/graph/notifications?validationToken=" + Uri.EscapeDataString("Validation: Token <a&b>"), new StringContent(string.Empty, Encoding.UTF8, "text/plain"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/plain");
        (await response.Content.ReadAsStringAsync()).ShouldBe("Validation: Token <a&b>");
    }

    [Fact]
    public async Task A_renewal_run_subscribes_each_mailbox_after_passing_the_handshake()
    {
        await using var mail = await MailApp.StartAsync();

        await mail.RenewAsync();

        var subscription = mail.Graph.Subscriptions.ShouldHaveSingleItem();
        subscription.Resource.ShouldBe($"users/{MailApp.Mailbox}/mailFolders('Inbox')/messages");
        subscription.ChangeType.ShouldBe("created");
        subscription.LifecycleNotificationUrl.ShouldBe("https://helpdesk.test/api/graph/lifecycle");
        subscription.ClientState!.Length.ShouldBeInRange(32, 128);
        (subscription.ExpirationDateTime - mail.App.Clock.GetUtcNow()).TotalMinutes.ShouldBeLessThanOrEqualTo(10_080);
    }

    [Fact]
    public async Task A_second_run_keeps_a_subscription_that_is_far_from_expiry()
    {
        await using var mail = await MailApp.StartAsync();
        await mail.RenewAsync();

        await mail.RenewAsync();

        mail.Graph.Requests.Count(r => r.StartsWith("POST /subscriptions", StringComparison.Ordinal)).ShouldBe(1);
        mail.Graph.Requests.ShouldNotContain(r => r.StartsWith("PATCH /subscriptions", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_subscription_expiring_within_the_margin_is_renewed_in_place()
    {
        await using var mail = await MailApp.StartAsync();
        await mail.RenewAsync();
        var first = mail.Graph.Subscriptions.Single();

        mail.App.Clock.Advance(TimeSpan.FromDays(2.5));
        await mail.RenewAsync();

        var renewed = mail.Graph.Subscriptions.ShouldHaveSingleItem();
        renewed.Id.ShouldBe(first.Id);
        renewed.ExpirationDateTime.ShouldBeGreaterThan(first.ExpirationDateTime);
    }

    [Fact]
    public async Task A_subscription_that_already_expired_is_created_again()
    {
        await using var mail = await MailApp.StartAsync();
        await mail.RenewAsync();
        var first = mail.Graph.Subscriptions.Single();
        mail.Graph.Drop(first.Id);

        mail.App.Clock.Advance(TimeSpan.FromDays(4));
        await mail.RenewAsync();

        mail.Graph.Subscriptions.ShouldHaveSingleItem().Id.ShouldNotBe(first.Id);
    }

    [Fact]
    public async Task A_notification_is_recorded_and_answered_202()
    {
        await _shared.RenewAsync();
        var pendingBefore = (await _shared.InboundAsync()).Count;
        var id = _shared.Graph.Deliver(MailApp.Mailbox, new FakeMessage(_alice, "Printer jams", "<p>It jams.</p>"));

        var response = await _shared.Graph.NotifyAsync(MailApp.Mailbox, id);

        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var row = (await InboundOfAsync(id)).ShouldHaveSingleItem();
        row.State.ShouldBe(Helpdesk.Api.Mail.InboundStates.Pending);
        (await _shared.InboundAsync()).Count.ShouldBe(pendingBefore + 1, "the tests of this class run one after the other");
    }

    [Fact]
    public async Task The_same_mail_notified_three_times_is_recorded_once()
    {
        await _shared.RenewAsync();
        var pendingBefore = (await _shared.InboundAsync()).Count;
        var id = _shared.Graph.Deliver(MailApp.Mailbox, new FakeMessage(_alice, "Printer jams", "<p>It jams.</p>"));

        (await _shared.Graph.NotifyAsync(MailApp.Mailbox, id, copies: 2)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await _shared.Graph.NotifyAsync(MailApp.Mailbox, id)).StatusCode.ShouldBe(HttpStatusCode.Accepted);

        (await InboundOfAsync(id)).Count.ShouldBe(1);
        (await _shared.InboundAsync()).Count.ShouldBe(pendingBefore + 1, "the tests of this class run one after the other");
    }

    [Fact]
    public async Task A_notification_with_a_forged_client_state_is_refused_and_not_recorded()
    {
        await _shared.RenewAsync();
        var pendingBefore = (await _shared.InboundAsync()).Count;
        var id = _shared.Graph.Deliver(MailApp.Mailbox, new FakeMessage($"mallory.{Guid.NewGuid():N}@evil.test", "Hi", "<p>x</p>"));

        var response = await _shared.Graph.NotifyAsync(MailApp.Mailbox, id, clientState: "guessed-secret");

        await response.ShouldBeProblem(401);
        (await InboundOfAsync(id)).ShouldBeEmpty();
        (await _shared.InboundAsync()).Count.ShouldBe(pendingBefore, "the tests of this class run one after the other");
    }

    [Fact]
    public async Task A_notification_body_that_is_not_a_notification_list_is_a_400_problem()
    {
        using var client = _shared.App.CreateClient();

        var notJson = await client.PostAsync("/api/graph/notifications", new StringContent("{not json", Encoding.UTF8, "application/json"));
        var noValue = await client.PostAsync("/api/graph/notifications", new StringContent("{\"items\":[]}", Encoding.UTF8, "application/json"));

        await notJson.ShouldBeProblem(400, "value");
        await noValue.ShouldBeProblem(400, "value");
    }

    [Fact]
    public async Task Delta_catch_up_records_arrived_mail_and_resumes_from_its_delta_link()
    {
        await using var mail = await MailApp.StartAsync(subscribe: false);
        for (var i = 0; i < 12; i++)
        {
            mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage($"user{i}@contoso.com", $"Mail {i}", "<p>x</p>"));
        }

        await mail.RenewAsync();
        mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage("late@contoso.com", "Late mail", "<p>x</p>"));
        await mail.RenewAsync();

        (await mail.InboundAsync()).Count.ShouldBe(13);
        mail.Graph.Subscriptions.ShouldBeEmpty();
        mail.Graph.Requests.Count(r => r.Contains("/messages/delta", StringComparison.Ordinal)).ShouldBe(3, "two pages, then one resumed round");
    }

    [Fact]
    public async Task A_mail_seen_by_both_notification_and_delta_is_recorded_once()
    {
        await _shared.RenewAsync();
        var id = _shared.Graph.Deliver(MailApp.Mailbox, new FakeMessage(_alice, "Printer jams", "<p>It jams.</p>"));

        await _shared.Graph.NotifyAsync(MailApp.Mailbox, id);
        await _shared.RenewAsync();

        (await InboundOfAsync(id)).ShouldHaveSingleItem().GraphId.ShouldBe(id);
    }

    [Fact]
    public async Task A_throttled_delta_is_retried_after_the_retry_after_delay()
    {
        await using var mail = await MailApp.StartAsync(subscribe: false);
        mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>"));
        mail.Graph.Throttle("/messages/delta");

        await mail.RenewAsync();

        (await mail.InboundAsync()).Count.ShouldBe(1);
        mail.Graph.Requests.Count(r => r.Contains("/messages/delta", StringComparison.Ordinal)).ShouldBe(2);
    }

    [Fact]
    public async Task After_subscription_removed_the_next_run_subscribes_again_and_catches_up()
    {
        await using var mail = await MailApp.StartAsync();
        await mail.RenewAsync();
        var first = mail.Graph.Subscriptions.Single();
        mail.Graph.Drop(first.Id);
        var missed = mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage("alice@contoso.com", "Sent while unsubscribed", "<p>x</p>"));

        (await mail.Graph.LifecycleAsync(first, "subscriptionRemoved")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await mail.RenewAsync();

        mail.Graph.Subscriptions.ShouldHaveSingleItem().Id.ShouldNotBe(first.Id);
        (await mail.InboundAsync()).ShouldContain(m => m.GraphId == missed);
    }

    [Fact]
    public async Task Reauthorization_required_makes_the_next_run_reauthorize_the_subscription()
    {
        await using var mail = await MailApp.StartAsync();
        await mail.RenewAsync();
        var subscription = mail.Graph.Subscriptions.Single();

        (await mail.Graph.LifecycleAsync(subscription, "reauthorizationRequired")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await mail.RenewAsync();
        await mail.RenewAsync();

        mail.Graph.Requests.Count(r => r == $"POST /subscriptions/{subscription.Id}/reauthorize").ShouldBe(1);
        mail.Graph.Subscriptions.ShouldHaveSingleItem().Id.ShouldBe(subscription.Id);
    }

    [Fact]
    public async Task A_missed_event_is_made_good_by_the_next_delta_round()
    {
        await using var mail = await MailApp.StartAsync();
        await mail.RenewAsync();
        var subscription = mail.Graph.Subscriptions.Single();
        var missed = mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage("alice@contoso.com", "Never notified", "<p>x</p>"));

        (await mail.Graph.LifecycleAsync(subscription, "missed")).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await mail.RenewAsync();

        (await mail.InboundAsync()).ShouldHaveSingleItem().GraphId.ShouldBe(missed);
    }

    [Fact]
    public async Task A_lifecycle_event_with_a_forged_client_state_changes_nothing()
    {
        await using var mail = await MailApp.StartAsync();
        await mail.RenewAsync();
        var subscription = mail.Graph.Subscriptions.Single();

        await (await mail.Graph.LifecycleAsync(subscription, "subscriptionRemoved", clientState: "forged")).ShouldBeProblem(401);
        await mail.RenewAsync();

        mail.Graph.Subscriptions.ShouldHaveSingleItem().Id.ShouldBe(subscription.Id);
    }
}
