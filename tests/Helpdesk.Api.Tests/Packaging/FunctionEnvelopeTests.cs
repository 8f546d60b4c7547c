using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Packaging;

/// <summary>
/// Every non-HTTP function of the package, driven the way the Functions host drives a custom
/// handler: the envelope shape it captures for the function's trigger type is POSTed to
/// <c>/{FunctionName}</c>, and the answer must be the invocation result the host reads
/// (<c>Outputs</c>, <c>Logs</c>, <c>ReturnValue</c>), 200 when the work was done and non-2xx when
/// it failed, so that Service Bus redelivers and finally dead-letters.
/// </summary>
public sealed class FunctionEnvelopeTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    public static TheoryData<string> Functions(string triggerType) =>
        [.. PackageFiles.Functions().Where(f => FunctionDefinition.Type(f.Trigger) == triggerType).Select(f => f.Name)];

    public static TheoryData<string> TimerFunctions() => Functions("timerTrigger");

    public static TheoryData<string> ServiceBusFunctions() => Functions("serviceBusTrigger");

    [Fact]
    public void The_package_has_timer_service_bus_and_change_feed_functions_to_drive()
    {
        TimerFunctions().Count.ShouldBeGreaterThan(0);
        ServiceBusFunctions().Count.ShouldBeGreaterThan(0);
        Functions("cosmosDBTrigger").Count.ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(TimerFunctions))]
    public async Task A_timer_invocation_answers_with_the_host_result_shape(string function)
    {
        var envelope = new JsonObject
        {
            ["Data"] = new JsonObject
            {
                ["timer"] = new JsonObject
                {
                    ["Schedule"] = new JsonObject { ["AdjustForDST"] = true },
                    ["ScheduleStatus"] = new JsonObject
                    {
                        ["Last"] = "2026-03-02T08:59:00+00:00",
                        ["Next"] = "2026-03-02T09:00:00+00:00",
                        ["LastUpdated"] = "2026-03-02T08:59:00+00:00",
                    },
                    ["IsPastDue"] = true,
                },
            },
            ["Metadata"] = Sys(function),
        };

        var response = await PostAsync(function, envelope);

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        ShouldBeInvocationResult(await response.Json());
    }

    [Theory]
    [MemberData(nameof(ServiceBusFunctions))]
    public async Task A_service_bus_message_for_a_real_ticket_is_consumed_with_the_host_result_shape(string function)
    {
        var ticket = await app.ClientFor("agent").OpenTicketAsync();
        var body = JsonSerializer.Serialize(new
        {
            eventId = Guid.NewGuid().ToString(),
            type = "ticket.created",
            ticketId = ticket["id"]!.GetValue<string>(),
            correlationId = Guid.NewGuid().ToString(),
            occurredAt = "2026-03-02T09:00:00Z",
            actor = new { type = "agent", id = "ada@helpdesk.test" },
            data = new { number = ticket["number"]!.GetValue<string>(), action = "created" },
        });

        var response = await PostAsync(function, ServiceBusEnvelope(function, JsonSerializer.Serialize(body)));

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        ShouldBeInvocationResult(await response.Json());
    }

    [Theory]
    [MemberData(nameof(ServiceBusFunctions))]
    public async Task An_unreadable_service_bus_message_fails_the_invocation_so_it_ends_dead_lettered(string function)
    {
        var response = await PostAsync(function, ServiceBusEnvelope(function, "\"this is not an event\""));

        ((int)response.StatusCode).ShouldBeGreaterThanOrEqualTo(500);
        var result = await response.Json();
        ShouldBeInvocationResult(result);
        result["Logs"]!.AsArray().ShouldNotBeEmpty();
    }

    [Fact]
    public async Task The_change_feed_relay_answers_one_output_binding_per_queue_of_its_function_json()
    {
        var relay = PackageFiles.Functions().Single(f => FunctionDefinition.Type(f.Trigger) == "cosmosDBTrigger");
        var documents = new object[]
        {
            new
            {
                id = "t_envelope",
                events = new[]
                {
                    new
                    {
                        id = Guid.NewGuid().ToString(),
                        type = "ticket.created",
                        ticketId = "t_envelope",
                        occurredAt = "2026-03-02T09:00:00Z",
                        actor = new { type = "agent", id = "agt_1" },
                        data = new Dictionary<string, string?> { ["number"] = "HD-1", ["action"] = "created" },
                    },
                },
            },
        };
        var envelope = new JsonObject
        {
            ["Data"] = new JsonObject { [FunctionDefinition.Text(relay.Trigger, "name")!] = JsonSerializer.Serialize(JsonSerializer.Serialize(documents)) },
            ["Metadata"] = Sys(relay.Name),
        };

        var response = await PostAsync(relay.Name, envelope);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var result = await response.Json();
        ShouldBeInvocationResult(result);
        var outputs = result["Outputs"]!.AsObject().Select(o => o.Key).ToList();
        outputs.ShouldNotBeEmpty();
        outputs.ShouldBeSubsetOf(relay.Outputs.Select(o => FunctionDefinition.Text(o, "name")!));
    }

    private async Task<HttpResponseMessage> PostAsync(string function, JsonObject envelope) =>
        await app.CreateClient().PostAsync($"/{function}", new StringContent(envelope.ToJsonString(), Encoding.UTF8, "application/json"));

    /// <summary>What the host sends for a Service Bus message: the body serialized again, metadata values as strings.</summary>
    private static JsonObject ServiceBusEnvelope(string function, string body)
    {
        var metadata = Sys(function);
        metadata["DeliveryCount"] = "1";
        metadata["MessageId"] = JsonSerializer.Serialize(Guid.NewGuid().ToString("N"));
        metadata["EnqueuedTimeUtc"] = "\"2026-03-02T09:00:00Z\"";
        metadata["ContentType"] = "\"application/json\"";
        return new JsonObject
        {
            ["Data"] = new JsonObject { ["message"] = JsonSerializer.Serialize(body) },
            ["Metadata"] = metadata,
        };
    }

    private static JsonObject Sys(string function) => new()
    {
        ["sys"] = new JsonObject
        {
            ["MethodName"] = function,
            ["UtcNow"] = "2026-03-02T09:00:00.0000000Z",
            ["RandGuid"] = Guid.NewGuid().ToString(),
        },
    };

    private static void ShouldBeInvocationResult(JsonNode result)
    {
        result["Outputs"].ShouldBeOfType<JsonObject>();
        result["Logs"].ShouldBeOfType<JsonArray>();
        result["Logs"]!.AsArray().ShouldAllBe(line => line!.GetValueKind() == JsonValueKind.String);
        result.AsObject().ContainsKey("ReturnValue").ShouldBeTrue();
    }
}
