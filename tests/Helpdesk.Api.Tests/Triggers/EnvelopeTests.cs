using System.Text.Json;
using Helpdesk.Api.Triggers;

namespace Helpdesk.Api.Tests.Triggers;

/// <summary>Payload shapes as the Functions host sends them to a custom handler.</summary>
public sealed class EnvelopeTests
{
    [Fact]
    public void A_service_bus_body_serialized_twice_decodes_to_the_object()
    {
        var envelope = Parse("""
            {"Data":{"message":"\"{\\\"eventId\\\":\\\"e-1\\\",\\\"type\\\":\\\"ticket.created\\\"}\""},
             "Metadata":{"DeliveryCount":"1","MessageId":"\"abc\"","sys":{"MethodName":"DeliverNotification"}}}
            """);

        var body = envelope.Binding("message")!.Value;

        body.GetProperty("eventId").GetString().ShouldBe("e-1");
        envelope.MetaInt("DeliveryCount").ShouldBe(1);
        envelope.Meta("MessageId")!.Value.GetString().ShouldBe("abc");
    }

    [Fact]
    public void Cosmos_documents_as_a_string_of_a_string_decode_to_the_array()
    {
        var documents = JsonSerializer.Serialize(JsonSerializer.Serialize(new[] { new { id = "t_1" }, new { id = "t_2" } }));
        var envelope = Parse("{\"Data\":{\"documents\":" + JsonSerializer.Serialize(documents) + "},\"Metadata\":{}}");

        var array = envelope.Binding("documents")!.Value;

        array.ValueKind.ShouldBe(JsonValueKind.Array);
        array.EnumerateArray().Select(d => d.GetProperty("id").GetString()).ShouldBe(["t_1", "t_2"]);
    }

    [Fact]
    public void A_plain_string_that_is_not_json_stays_a_string()
    {
        var envelope = Parse("""{"Data":{"text":"\"hello\""}}""");

        envelope.Binding("text")!.Value.GetString().ShouldBe("hello");
    }

    [Fact]
    public void A_timer_payload_says_whether_the_run_is_late()
    {
        var envelope = Parse("""
            {"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"2026-03-02T09:00:00+00:00","Next":"2026-03-02T09:01:00+00:00","LastUpdated":"2026-03-02T09:00:00+00:00"},"IsPastDue":true}},
             "Metadata":{"sys":{"MethodName":"ScanSlaBreaches","UtcNow":"2026-03-02T09:05:00Z"}}}
            """);

        var timer = TimerInfo.From(envelope.Binding("timer"));

        timer.IsPastDue.ShouldBeTrue();
        timer.Last.ShouldBe(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public void A_missing_binding_is_null()
    {
        Parse("""{"Metadata":{}}""").Binding("timer").ShouldBeNull();
        TimerInfo.From(null).IsPastDue.ShouldBeFalse();
    }

    private static InvocationRequest Parse(string json) => JsonSerializer.Deserialize<InvocationRequest>(json)!;
}
