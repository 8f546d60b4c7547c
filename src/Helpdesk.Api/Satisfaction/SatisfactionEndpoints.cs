using FluentValidation;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Events;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Satisfaction;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Satisfaction;

public sealed record SurveyAnswerRequest(int? Score, string? Comment);

public sealed record SurveyAnswered(int Score, string? Comment, DateTimeOffset AnsweredAt);

/// <summary>Where a ticket's survey stands, as staff see it.</summary>
public enum SurveyState
{
    NotSent,
    Sent,
    Expired,
    Answered,
}

/// <summary>
/// A ticket's satisfaction survey for staff: when it was sent and until when it can be answered
/// (absent when not sent), and the customer's score and comment once answered.
/// </summary>
public sealed record TicketSatisfaction(SurveyState State, DateTimeOffset? SentAt, DateTimeOffset? ExpiresAt, int? Score, string? Comment, DateTimeOffset? AnsweredAt)
{
    public static TicketSatisfaction Of(Survey? survey, DateTimeOffset now) => survey switch
    {
        null => new(SurveyState.NotSent, null, null, null, null, null),
        { AnsweredAt: not null } => new(SurveyState.Answered, survey.SentAt, survey.ExpiresAt, survey.Score, survey.Comment, survey.AnsweredAt),
        _ => new(now > survey.ExpiresAt ? SurveyState.Expired : SurveyState.Sent, survey.SentAt, survey.ExpiresAt, null, null, null),
    };
}

public sealed record SurveyView(string TicketNumber, string Subject, bool Answered, DateTimeOffset ExpiresAt);

internal sealed class SurveyAnswerValidator : AbstractValidator<SurveyAnswerRequest>
{
    public SurveyAnswerValidator()
    {
        RuleFor(r => r.Score).NotNull().InclusiveBetween(1, 5);
        RuleFor(r => r.Comment).MaximumLength(Survey.MaxCommentLength);
    }
}

/// <summary>
/// The customer answers the survey without logging in: the signed token is the credential. A
/// forged token is 404, an answered or expired survey 409. Staff read where a ticket's survey stands
/// (GET /tickets/{id}/satisfaction).
/// </summary>
public static class SatisfactionEndpoints
{
    public static IServiceCollection AddSatisfaction(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SatisfactionOptions>().Bind(configuration.GetSection(SatisfactionOptions.Section))
            .Validate(o => o.ValidDays is >= 1 and <= 365, "Satisfaction:ValidDays is from 1 to 365.")
            .ValidateOnStart();
        return services
            .AddSqliteMigration(SqliteSurveyStore.Schema.Name, SqliteSurveyStore.Schema.Sql)
            .AddTicketItemKind(SqliteSurveyStore.Table, CosmosSurveyStore.ItemKind)
            .AddSingleton(StoreSelection.Of<ISurveyStore, SqliteSurveyStore, CosmosSurveyStore>())
            .AddQueueConsumer<SendSatisfactionSurvey>(SendSatisfactionSurvey.Queue, SendSatisfactionSurvey.FunctionName, "survey.request", type => type == TicketEventTypes.Resolved);
    }

    public static RouteGroupBuilder MapSatisfactionEndpoints(this RouteGroupBuilder api)
    {
        var csat = api.MapGroup("/csat/{token}").WithTags("satisfaction").AllowAnonymous().RequireRateLimiting(RateLimitPolicies.AnonymousLinks);
        csat.MapGet("/", GetAsync).WithName("GetSurvey")
            .Produces<SurveyView>().ProducesProblems(StatusCodes.Status404NotFound);
        csat.MapPost("/", AnswerAsync).Validate<SurveyAnswerRequest>().WithName("AnswerSurvey")
            .Produces<SurveyAnswered>().ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        api.MapGet("/tickets/{id}/satisfaction", TicketSatisfactionAsync).WithTags("satisfaction").RequireAuthorization(Policies.Staff)
            .WithName("GetTicketSatisfaction").Produces<TicketSatisfaction>().ProducesProblems(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<IResult> TicketSatisfactionAsync(string id, ITicketStore tickets, ISurveyStore store, TimeProvider clock, CancellationToken ct)
    {
        if (await tickets.FindAsync(id, ct) is null)
        {
            return Problems.NotFound("ticket");
        }

        var survey = await store.FindAsync(id, ct);
        return TypedResults.Ok(TicketSatisfaction.Of(survey?.Value, clock.GetUtcNow()));
    }

    private static async Task<IResult> GetAsync(string token, ISurveyStore store, ITicketStore tickets, CancellationToken ct)
    {
        var survey = await FindAsync(token, store, ct);
        var ticket = survey is null ? null : await tickets.FindAsync(survey.Value.TicketId, ct);
        return survey is null || ticket is null
            ? Problems.NotFound("survey")
            : TypedResults.Ok(new SurveyView(ticket.Number, ticket.Subject, survey.Value.AnsweredAt is not null, survey.Value.ExpiresAt));
    }

    private static async Task<IResult> AnswerAsync(string token, SurveyAnswerRequest request, ISurveyStore store, TicketRunner runner, CancellationToken ct)
    {
        var survey = await FindAsync(token, store, ct);
        if (survey is null)
        {
            return Problems.NotFound("survey");
        }

        return (await runner.RunAsync<Survey>(
            survey.Value.TicketId,
            Actor.System("satisfaction"),
            TicketPrecondition.None,
            async c =>
            {
                var current = await store.FindAsync(c.Ticket.Id, ct);
                if (current is null)
                {
                    return Problems.Missing("survey");
                }

                var answered = current.Value.Answer(request.Score!.Value, request.Comment, c.Now);
                c.Write(TicketItemWrite.Put(TicketItemKinds.Survey, c.Ticket.Id, current with { Value = answered }));
                return answered;
            },
            ct,
            TicketLookup.IncludingDeleted)).ToResult(answered => TypedResults.Ok(new SurveyAnswered(answered.Score!.Value, answered.Comment, answered.AnsweredAt!.Value)));
    }

    private static async Task<Versioned<Survey>?> FindAsync(string token, ISurveyStore store, CancellationToken ct)
    {
        if (SurveyTokens.Read(await store.SigningKeyAsync(ct), token) is not { } read)
        {
            return null;
        }

        var survey = await store.FindAsync(read.TicketId, ct);
        return survey?.Value.Nonce == read.Nonce ? survey : null;
    }
}
