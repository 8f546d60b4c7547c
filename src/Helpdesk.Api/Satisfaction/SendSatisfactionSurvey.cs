using Helpdesk.Api.Events;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Satisfaction;
using Helpdesk.Domain.Tickets;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Satisfaction;

public sealed class SatisfactionOptions
{
    public const string Section = "Satisfaction";

    /// <summary>Resolving a ticket sends its requester a satisfaction survey.</summary>
    public bool SendOnResolve { get; set; }

    /// <summary>How long a survey link can be answered.</summary>
    public int ValidDays { get; set; } = 30;

    /// <summary>Where the survey form lives; the token is appended (the form POSTs it to /api/csat/{token}).</summary>
    public string LinkBase { get; set; } = "/csat/";
}

/// <summary>
/// Consumer of <c>ticket.resolved</c> on the <c>surveys</c> queue. When the setting is on, the
/// ticket gets its one survey, and the <c>satisfaction.surveyRequested</c> event (with the signed
/// link) is stored with it for the notification pipeline to email. A redelivery or a second
/// resolution finds the survey there and does nothing.
/// </summary>
public sealed class SendSatisfactionSurvey(TicketRunner runner, ISurveyStore store, IOptions<SatisfactionOptions> options) : IEventConsumer
{
    public const string Queue = "surveys";
    public const string FunctionName = "SendSatisfactionSurvey";
    public const string RequestedEvent = TicketActEventTypes.SurveyRequested;

    public async Task HandleAsync(EventMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!options.Value.SendOnResolve || message.TicketId is null || await store.FindAsync(message.TicketId, cancellationToken) is not null)
        {
            return;
        }

        var key = await store.SigningKeyAsync(cancellationToken);
        await runner.RunAsync<Survey?>(
            message.TicketId,
            Actor.System("satisfaction"),
            TicketPrecondition.None,
            async c =>
            {
                if (c.Ticket.IsInternal || await store.FindAsync(c.Ticket.Id, cancellationToken) is not null)
                {
                    // An internal ticket has no customer to ask.
                    return (Survey?)null;
                }

                var survey = Survey.Send(c.Ticket.Id, SurveyTokens.NewNonce(), c.Now, TimeSpan.FromDays(options.Value.ValidDays));
                var token = SurveyTokens.Create(key, c.Ticket.Id, survey.Nonce);
                c.Ticket.RequestSurvey(survey, options.Value.LinkBase + token, token, c.Now);
                c.Write(TicketItemWrite.Add(TicketItemKinds.Survey, c.Ticket.Id, survey));
                return survey;
            },
            cancellationToken);
    }
}
