using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Tests.Events;

/// <summary>
/// The Azure side: the change-feed relay answers with Service Bus output messages, and a queue's
/// consumer function takes the host's double-encoded message, applies it once, and fails loudly.
/// </summary>
public sealed class EventTriggerTests
{
    private const string EventId = "0195a1c2-0000-7000-8000-000000000001";

    [Fact]
    public async Task The_relay_turns_change_feed_documents_into_one_output_message_per_event_and_queue()
    {
        using var app = new EventsApp(new AuditBehaviour());
        var documents = new object[]
        {
            new { id = "t_1", events = new[] { StoredEvent(EventId, TicketEventTypes.Created), StoredEvent("0195a1c2-0000-7000-8000-000000000002", TicketEventTypes.Started) } },
            new { id = "t_2" },
        };
        var encoded = JsonSerializer.Serialize(JsonSerializer.Serialize(documents));
        var envelope = "{\"Data\":{\"documents\":" + JsonSerializer.Serialize(encoded) + "},\"Metadata\":{\"sys\":{\"MethodName\":\"RelayOutbox\"}}}";

        var response = await app.CreateClient().PostAsync("/RelayOutbox", new StringContent(envelope, System.Text.Encoding.UTF8, "application/json"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var result = await response.Json();
        var messages = result["Outputs"]!["audit"]!.AsArray();
        var message = messages.ShouldHaveSingleItem()!;
        message["eventId"]!.GetValue<string>().ShouldBe(EventId);
        message["type"]!.GetValue<string>().ShouldBe(TicketEventTypes.Created);
        message["ticketId"]!.GetValue<string>().ShouldBe("t_1");
        message["correlationId"]!.GetValue<string>().ShouldBe(EventId);
        message["data"]!["number"]!.GetValue<string>().ShouldBe("HD-1");
        result["Logs"]!.AsArray().ShouldNotBeEmpty();
    }

    [Fact]
    public async Task A_service_bus_message_redelivered_is_applied_once()
    {
        var behaviour = new AuditBehaviour();
        using var app = new EventsApp(behaviour);
        var client = app.CreateClient();

        (await client.PostAsync("/AuditEvents", ServiceBusEnvelope(EventId, deliveryCount: 1))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var again = await client.PostAsync("/AuditEvents", ServiceBusEnvelope(EventId, deliveryCount: 2));

        again.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await again.Json())["Logs"]!.AsArray()[0]!.GetValue<string>().ShouldContain("Duplicate");
        behaviour.Deliveries.Count.ShouldBe(1);
        (await app.EffectsAsync()).ShouldBe([TicketEventTypes.Created]);
    }

    [Fact]
    public async Task A_failing_consumer_answers_500_so_service_bus_redelivers_and_the_retry_applies_it()
    {
        var behaviour = new AuditBehaviour
        {
            BeforeEffect = (delivery, _) => delivery == 1 ? throw new InvalidOperationException("smtp timeout") : Task.CompletedTask,
        };
        using var app = new EventsApp(behaviour);
        var client = app.CreateClient();

        var failed = await client.PostAsync("/AuditEvents", ServiceBusEnvelope(EventId, deliveryCount: 1));
        failed.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
        (await failed.Json())["Outputs"].ShouldNotBeNull();
        (await app.EffectsAsync()).ShouldBeEmpty();

        (await client.PostAsync("/AuditEvents", ServiceBusEnvelope(EventId, deliveryCount: 2))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await app.EffectsAsync()).ShouldBe([TicketEventTypes.Created]);
    }

    [Fact]
    public async Task A_message_that_is_not_an_event_fails_the_invocation()
    {
        using var app = new EventsApp(new AuditBehaviour());
        var body = JsonSerializer.Serialize(JsonSerializer.Serialize(new { hello = "world" }));
        var envelope = "{\"Data\":{\"message\":" + body + "},\"Metadata\":{\"DeliveryCount\":\"1\"}}";

        var response = await app.CreateClient().PostAsync("/AuditEvents", new StringContent(envelope, System.Text.Encoding.UTF8, "application/json"));

        response.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
    }

    [Fact]
    public async Task The_consumer_function_has_a_trigger_route_and_the_relay_one_too()
    {
        using var app = new EventsApp(new AuditBehaviour());
        var client = app.CreateClient();

        (await client.PostAsJsonAsync("/RelayOutbox", new { Data = new { }, Metadata = new { } })).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.PostAsync("/AuditEvents", ServiceBusEnvelope(EventId, 1))).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    private static object StoredEvent(string id, string type) => new
    {
        id,
        type,
        ticketId = "t_1",
        occurredAt = "2026-03-02T09:00:00Z",
        actor = new { type = "agent", id = "agt_1" },
        data = new Dictionary<string, string?> { ["number"] = "HD-1", ["action"] = "created" },
    };

    /// <summary>What the host POSTs for a Service Bus message: the body is a string holding the JSON string.</summary>
    private static StringContent ServiceBusEnvelope(string eventId, int deliveryCount)
    {
        var body = JsonSerializer.Serialize(new
        {
            eventId,
            type = TicketEventTypes.Created,
            ticketId = "t_1",
            correlationId = eventId,
            occurredAt = "2026-03-02T09:00:00Z",
            actor = new { type = "agent", id = "agt_1" },
            data = new { number = "HD-1" },
        });
        var envelope = new JsonObject
        {
            ["Data"] = new JsonObject { ["message"] = JsonSerializer.Serialize(body) },
            ["Metadata"] = new JsonObject
            {
                ["DeliveryCount"] = deliveryCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["MessageId"] = "\"m-1\"",
            },
        };
        return new StringContent(envelope.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
    }
}
