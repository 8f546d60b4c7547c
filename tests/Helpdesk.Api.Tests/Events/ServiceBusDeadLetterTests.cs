using Azure.Messaging.ServiceBus;
using Helpdesk.Api.Events;
using Helpdesk.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Events;

/// <summary>
/// Dead letters under Azure come from Service Bus's dead-letter sub-queues. No broker runs here:
/// the routes' logic is tested over the local queue (EventQueueTests, WebhookTests), and these
/// tests check the Service Bus adapter's side without one: which store the app picks, how a
/// dead-lettered message reads, what a re-drive sends back, and that an id that cannot be one
/// is refused before any call to the namespace.
/// </summary>
public sealed class ServiceBusDeadLetterTests
{
    private static readonly DateTimeOffset Enqueued = new(2026, 12, 7, 9, 30, 0, TimeSpan.Zero);

    [Fact]
    public void A_dead_lettered_event_reads_as_the_local_queue_shows_one()
    {
        var body = new EventMessage("evt-1", "ticket.created", "t-42", "evt-1", Enqueued, new Helpdesk.Domain.Common.Actor(Helpdesk.Domain.Common.ActorType.Agent, "ada"), new Dictionary<string, string?>()).ToJson();
        var message = DeadLettered(body, sequence: 42, deliveries: 10, reason: "MaxDeliveryCountExceeded", description: "Message could not be consumed after 10 delivery attempts.");

        var letter = ServiceBusDeadLetters.Map("webhooks", message);

        letter.Id.ShouldBe("webhooks-42");
        letter.Queue.ShouldBe("webhooks");
        letter.MessageId.ShouldBe("msg-42");
        letter.Type.ShouldBe("ticket.created");
        letter.TicketId.ShouldBe("t-42");
        letter.Attempts.ShouldBe(10);
        letter.EnqueuedAt.ShouldBe(Enqueued);
        letter.LastError.ShouldBe("MaxDeliveryCountExceeded: Message could not be consumed after 10 delivery attempts.");
        letter.Body.ShouldBe(body);
        ServiceBusDeadLetters.ParseId(letter.Id).ShouldBe(("webhooks", 42L));
    }

    [Fact]
    public void A_message_that_is_not_an_event_is_shown_with_its_raw_body()
    {
        var letter = ServiceBusDeadLetters.Map("notifications", DeadLettered("not json {", sequence: 7, deliveries: 1, reason: null, description: null));

        letter.Type.ShouldBeNull();
        letter.TicketId.ShouldBeNull();
        letter.LastError.ShouldBeNull();
        letter.Body.ShouldBe("not json {");
    }

    [Fact]
    public void A_redrive_sends_the_same_message_back_without_its_dead_letter_marks()
    {
        var message = DeadLettered("{}", sequence: 3, deliveries: 10, reason: "MaxDeliveryCountExceeded", description: "gave up");

        var copy = ServiceBusDeadLetters.Resubmission(message);

        copy.MessageId.ShouldBe("msg-3");
        copy.Body.ToString().ShouldBe("{}");
        copy.ApplicationProperties.ShouldNotContainKey("DeadLetterReason");
        copy.ApplicationProperties.ShouldNotContainKey("DeadLetterErrorDescription");
        copy.ApplicationProperties["kept"].ShouldBe("yes");
    }

    [Theory]
    [InlineData("42")]
    [InlineData("webhooks-")]
    [InlineData("-42")]
    [InlineData("webhooks-4x")]
    [InlineData("webhooks-+4")]
    public void An_id_that_names_no_queue_and_sequence_is_not_one(string id) =>
        ServiceBusDeadLetters.ParseId(id).ShouldBeNull();

    [Fact]
    public async Task Under_the_functions_host_the_admin_routes_read_service_bus_and_refuse_a_bad_id_without_calling_it()
    {
        await using var app = new HelpdeskApp().With("ServiceBus:fullyQualifiedNamespace", "helpdesk-test.servicebus.windows.net");

        app.Services.GetRequiredService<IDeadLetters>().ShouldBeOfType<ServiceBusDeadLetters>();
        await (await app.Admin.GetAsync("/api/admin/dead-letters/not-an-id")).ShouldBeProblem(404);
        await (await app.Admin.PostAsync("/api/admin/dead-letters/12/redrive", null)).ShouldBeProblem(404);
    }

    [Fact]
    public void Standalone_the_admin_routes_read_the_local_queue()
    {
        using var app = new HelpdeskApp();

        app.Services.GetRequiredService<IDeadLetters>().ShouldBeOfType<LocalDeadLetters>();
    }

    private static ServiceBusReceivedMessage DeadLettered(string body, long sequence, int deliveries, string? reason, string? description)
    {
        var properties = new Dictionary<string, object> { ["kept"] = "yes" };
        if (reason is not null)
        {
            properties["DeadLetterReason"] = reason;
        }

        if (description is not null)
        {
            properties["DeadLetterErrorDescription"] = description;
        }

        return ServiceBusModelFactory.ServiceBusReceivedMessage(
            body: BinaryData.FromString(body),
            messageId: $"msg-{sequence}",
            properties: properties,
            deliveryCount: deliveries,
            sequenceNumber: sequence,
            enqueuedTime: Enqueued);
    }
}
