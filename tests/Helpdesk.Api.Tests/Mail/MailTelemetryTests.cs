using System.Globalization;
using System.Net;
using Helpdesk.Api.Common;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Api.Tests.Infrastructure.FakeGraph;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Mail;

/// <summary>
/// What the mail alerts read (docs/telemetry.md): <c>helpdesk.mail.dead_lettered</c> and
/// <c>helpdesk.graph.subscription.seconds_to_expiry</c>, by <c>mailbox</c>; and ready, which
/// fails once a mailbox's Graph subscription has expired.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class MailTelemetryTests
{
    [Fact]
    public async Task Seconds_to_expiry_is_reported_by_mailbox_zero_before_a_subscription_and_negative_after_it_expires()
    {
        var capture = new TelemetryCapture();
        await using var mail = await MailApp.StartAsync(app => capture.On(app));

        var before = (await capture.MetricAsync("helpdesk.graph.subscription.seconds_to_expiry")).ShouldHaveSingleItem();
        await mail.RenewAsync();
        var expiresAt = mail.Graph.Subscriptions.ShouldHaveSingleItem().ExpirationDateTime;
        var liveAt = mail.App.Clock.GetUtcNow();
        var live = (await capture.MetricAsync("helpdesk.graph.subscription.seconds_to_expiry")).ShouldHaveSingleItem();
        mail.App.Clock.SetUtcNow(expiresAt.AddMinutes(1));
        var expired = (await capture.MetricAsync("helpdesk.graph.subscription.seconds_to_expiry")).ShouldHaveSingleItem();

        TelemetryCapture.Tags(before.Point).ShouldBe(new Dictionary<string, object?> { [TelemetryTags.Mailbox] = MailApp.Mailbox });
        before.Metric.Unit.ShouldBe("s");
        before.Point.GetGaugeLastValueLong().ShouldBe(0);
        live.Point.GetGaugeLastValueLong().ShouldBe((long)Math.Floor((expiresAt - liveAt).TotalSeconds));
        live.Point.GetGaugeLastValueLong().ShouldBeGreaterThan(3600);
        expired.Point.GetGaugeLastValueLong().ShouldBe(-60);
    }

    [Fact]
    public async Task Nothing_is_reported_for_a_mailbox_polled_through_delta()
    {
        var capture = new TelemetryCapture();
        await using var mail = await MailApp.StartAsync(app => capture.On(app), subscribe: false);

        (await capture.MetricAsync("helpdesk.graph.subscription.seconds_to_expiry")).ShouldBeEmpty();
    }

    [Fact]
    public async Task Ready_is_degraded_before_the_first_subscription_and_fails_once_it_expired_until_renewed()
    {
        await using var mail = await MailApp.StartAsync();

        var unsubscribed = await ReadyAsync(mail);
        await mail.RenewAsync();
        var subscribed = await ReadyAsync(mail);
        mail.App.Clock.SetUtcNow(mail.Graph.Subscriptions.Single().ExpirationDateTime.AddSeconds(1));
        var expired = await mail.App.Admin.GetAsync("/api/health/ready");
        var expiredForAnyone = await mail.App.CreateClient().GetAsync("/api/health/ready");
        await mail.RenewAsync();
        var renewed = await ReadyAsync(mail);

        unsubscribed.ShouldBe((HttpStatusCode.OK, "degraded"));
        subscribed.ShouldBe((HttpStatusCode.OK, "healthy"));
        await expired.ShouldBeProblem(503);
        (await expired.Json())["detail"]!.GetValue<string>().ShouldBe($"graph-subscriptions: The Graph subscription of mailbox {MailApp.Mailbox} has expired.");
        expiredForAnyone.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        renewed.ShouldBe((HttpStatusCode.OK, "healthy"));
    }

    [Fact]
    public async Task A_mail_dead_lettered_inbound_or_outbound_is_counted_by_mailbox_and_direction()
    {
        var capture = new TelemetryCapture();
        await using var mail = await MailApp.StartAsync(app => capture.On(app.With("Mail:MaxAttempts", "1").With("Mail:Outbound:MaxAttempts", "1")));
        await mail.RenewAsync();
        var poison = mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage("alice@contoso.com", "Poison", "<p>x</p>"));
        mail.Graph.Break($"/messages/{poison}");
        await mail.Graph.NotifyAsync(MailApp.Mailbox, poison);
        await mail.IngestAsync();
        mail.Graph.Break("/send");
        await mail.App.Services.GetRequiredService<IEmailSender>().SendAsync(
            new EmailMessage("dead-1@helpdesk", new EmailAddress(MailApp.Mailbox, "Support"), [new EmailAddress("bob@contoso.com")], [], "Digest", "Hello", "<p>Hello</p>"),
            CancellationToken.None);
        await mail.SendQueuedAsync();

        var points = await capture.MetricAsync("helpdesk.mail.dead_lettered");

        points.Select(p => (Tags: string.Join(",", TelemetryCapture.Tags(p.Point).OrderBy(t => t.Key).Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key}={t.Value}"))), Sum: p.Point.GetSumLong()))
            .ShouldBe([($"direction=in,mailbox={MailApp.Mailbox}", 1L), ($"direction=out,mailbox={MailApp.Mailbox}", 1L)], ignoreOrder: true);
        points[0].Metric.Unit.ShouldBe("{mail}");
    }

    private static async Task<(HttpStatusCode Status, string Health)> ReadyAsync(MailApp mail)
    {
        var response = await mail.App.Admin.GetAsync("/api/health/ready");
        return (response.StatusCode, (await response.Json())["status"]!.GetValue<string>());
    }
}
