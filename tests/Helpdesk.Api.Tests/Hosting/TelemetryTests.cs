using System.Diagnostics;
using System.Net.Http.Json;
using Helpdesk.Api.Common;
using Helpdesk.Api.Tests.Events;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Tests.Hosting;

/// <summary>
/// The traces and metrics the app exports, as an exporter receives them: a request's trace goes
/// on through the outbox into the event's consumer, and the counters and gauges a dashboard and
/// the alerts read carry their names and dimensions.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTests
{
    private const string Customer = "alice@contoso.com";

    [Fact]
    public async Task A_request_trace_continues_through_the_outbox_into_the_event_consumer()
    {
        var capture = new TelemetryCapture();
        using var app = new EventsApp(new AuditBehaviour());
        capture.On(app);
        var caller = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        var agent = app.ClientFor("agent");
        agent.DefaultRequestHeaders.Add("traceparent", $"00-{caller.TraceId}-{caller.SpanId}-01");

        var ticket = await agent.OpenTicketAsync();
        await app.PumpAsync();

        var trace = capture.Trace(caller.TraceId);
        var create = trace.Where(s => s.DisplayName == "ticket.create").ShouldHaveSingleItem();
        create.GetTagItem(TelemetryTags.TicketId).ShouldBe(ticket["id"]!.GetValue<string>());
        create.GetTagItem(TelemetryTags.TicketNumber).ShouldNotBeNull();
        var delivery = trace.Where(s => s.DisplayName == "audit.record").ShouldHaveSingleItem();
        delivery.Kind.ShouldBe(ActivityKind.Consumer);
        delivery.GetTagItem(TelemetryTags.EventType).ShouldBe(TicketEventTypes.Created);
        delivery.GetTagItem(TelemetryTags.Queue).ShouldBe(EventsApp.Queue);
        var publish = trace.Single(s => s.SpanId == delivery.ParentSpanId);
        publish.DisplayName.ShouldBe("event.publish");
        publish.Kind.ShouldBe(ActivityKind.Producer);
        Ancestors(trace, publish).ShouldContain(create);
        trace.SelectMany(Texts).ShouldNotContain(v => v.Contains(Customer, StringComparison.OrdinalIgnoreCase) || v.Contains(Uri.EscapeDataString(Customer), StringComparison.OrdinalIgnoreCase), "no customer address in a span");
        trace.Select(s => s.GetTagItem("url.full")).OfType<string>().ShouldAllBe(url => new Uri(url).AbsolutePath == "/", "an outgoing call's URL (a Cosmos DB document's is its id) keeps its host only");
    }

    [Fact]
    public async Task A_request_span_names_its_route_template_never_the_path_it_was_sent_to()
    {
        var capture = new TelemetryCapture();
        using var app = new EventsApp(new AuditBehaviour());
        capture.On(app);
        var ticket = await app.ClientFor("agent").OpenTicketAsync();
        var id = ticket["id"]!.GetValue<string>();
        const string token = "secret-link-token-0123456789";

        var spans = new List<Activity>();
        foreach (var (client, path) in new[]
        {
            (app.ClientFor("agent"), $"/api/tickets/{id}"),
            (app.CreateClient(), $"/api/approval-links/{token}"),
            (app.ClientFor("agent"), $"/api/no-such-route/{token}"),
        })
        {
            var trace = ActivityTraceId.CreateRandom();
            client.DefaultRequestHeaders.Add("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom()}-01");
            using var answer = await client.GetAsync(path);
            spans.Add(await capture.EndedAsync(s => s.TraceId == trace && s.Kind == ActivityKind.Server));
        }

        spans[0].GetTagItem("url.path").ShouldBe("/api/tickets/{id}");
        spans[1].GetTagItem("url.path").ShouldBe("/api/approval-links/{token}/", "the template as mapped: the group's path and its \"/\" route");
        spans[2].GetTagItem("url.path").ShouldBeNull("no route matched: no template to name, and the path itself may hold a secret");
        spans.SelectMany(Texts).ShouldNotContain(v => v.Contains(id, StringComparison.Ordinal) || v.Contains(token, StringComparison.Ordinal), "neither a ticket id nor a link's token in a request span");
    }

    [Fact]
    public async Task A_failing_consumer_marks_its_span_failed_with_the_error_type_and_not_its_message()
    {
        var capture = new TelemetryCapture();
        using var app = new EventsApp(new AuditBehaviour { BeforeEffect = (_, _) => throw new InvalidOperationException($"mail to {Customer} bounced") });
        capture.On(app);
        var ticket = await app.ClientFor("agent").OpenTicketAsync();

        await app.PumpAsync();

        var delivery = capture.Spans("audit.record").Where(s => (string?)s.GetTagItem(TelemetryTags.TicketId) == ticket["id"]!.GetValue<string>()).ShouldHaveSingleItem();
        delivery.Status.ShouldBe(ActivityStatusCode.Error);
        delivery.StatusDescription.ShouldBe(nameof(InvalidOperationException));
        delivery.GetTagItem("error.type").ShouldBe(typeof(InvalidOperationException).FullName);
        Texts(delivery).ShouldNotContain(v => v.Contains(Customer, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Tickets_created_and_resolved_are_counted_once_each_when_their_events_are_relayed()
    {
        var capture = new TelemetryCapture();
        using var app = new EventsApp(new AuditBehaviour());
        capture.On(app);
        var agent = app.ClientFor("agent");
        var ticket = await agent.OpenTicketAsync();
        await agent.OpenTicketAsync();
        (await agent.PostAsJsonAsync($"/api/tickets/{ticket["id"]}/resolve", new { summary = "Fixed" })).EnsureSuccessStatusCode();

        await app.PumpAsync();
        await app.PumpAsync();

        (await capture.MetricAsync("helpdesk.tickets.created")).ShouldHaveSingleItem().Point.GetSumLong().ShouldBe(2);
        (await capture.MetricAsync("helpdesk.tickets.resolved")).ShouldHaveSingleItem().Point.GetSumLong().ShouldBe(1);
    }

    [Fact]
    public async Task Queue_depth_and_the_oldest_message_age_are_reported_by_queue()
    {
        var capture = new TelemetryCapture();
        using var app = new EventsApp(new AuditBehaviour { BeforeEffect = (_, _) => throw new InvalidOperationException("down") });
        capture.On(app);
        await app.ClientFor("agent").OpenTicketAsync();
        await app.PumpAsync();
        app.Clock.Advance(TimeSpan.FromSeconds(90));

        var depth = (await capture.MetricAsync("helpdesk.queue.depth")).ToDictionary(p => (string)TelemetryCapture.Tags(p.Point)[TelemetryTags.Queue]!, p => p.Point.GetGaugeLastValueLong());
        var age = (await capture.MetricAsync("helpdesk.queue.oldest_age")).Single(p => (string?)TelemetryCapture.Tags(p.Point)[TelemetryTags.Queue] == EventsApp.Queue);

        depth[EventsApp.Queue].ShouldBe(1);
        depth.Where(d => d.Key != EventsApp.Queue).ShouldAllBe(d => d.Value == 0, "the other consumers took their copy");
        age.Point.GetGaugeLastValueDouble().ShouldBe(90, tolerance: 1);
        age.Metric.Unit.ShouldBe("s");
    }

    /// <summary>Everything of a span an exporter sends: its name, status, attributes and events.</summary>
    private static IEnumerable<string> Texts(Activity span) =>
        new[] { span.DisplayName, span.StatusDescription ?? string.Empty }
            .Concat(span.TagObjects.Concat(span.Events.SelectMany(e => e.Tags)).Select(t => Convert.ToString(t.Value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty))
            .Concat(span.Events.Select(e => e.Name));

    private static IEnumerable<Activity> Ancestors(IReadOnlyList<Activity> trace, Activity span)
    {
        for (var parent = trace.FirstOrDefault(s => s.SpanId == span.ParentSpanId); parent is not null; parent = trace.FirstOrDefault(s => s.SpanId == parent.ParentSpanId))
        {
            yield return parent;
        }
    }
}
