using System.Globalization;
using FluentValidation;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Tickets;
using Helpdesk.Api.Triggers;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Helpdesk.Api.Retention;

public sealed record RetentionRuleRequest(string? Name, string? AccountId, string? Type, int? Months);

/// <summary>The whole retention policy: every rule, each account/type scope once.</summary>
public sealed record RetentionPolicyRequest(IReadOnlyList<RetentionRuleRequest?>? Rules);

/// <summary>One rule in the preview: how many tickets it would purge now, closed and unchanged since before <c>closedBefore</c>.</summary>
public sealed record RetentionRulePreview(string Name, string? AccountId, string? Type, int Months, DateTimeOffset ClosedBefore, long Tickets);

/// <summary>A ticket the next runs of the timer would purge, and the rule that decides it.</summary>
public sealed record RetentionTicketPreview(string Id, string Number, string Subject, string? AccountId, string? Type, DateTimeOffset LastChangedAt, bool Deleted, string Rule);

/// <summary>The dry run: per rule the count, and the tickets one page at a time (rule after rule, oldest first within a rule).</summary>
public sealed record RetentionPreview(DateTimeOffset AsOf, IReadOnlyList<RetentionRulePreview> Rules, IReadOnlyList<RetentionTicketPreview> Items, string? NextCursor);

internal sealed class RetentionPolicyRequestValidator : AbstractValidator<RetentionPolicyRequest>
{
    public RetentionPolicyRequestValidator()
    {
        RuleFor(r => r.Rules).Cascade(CascadeMode.Stop).NotNull()
            .Must(r => r!.Count <= RetentionPolicy.MaxRules).WithMessage($"A policy has at most {RetentionPolicy.MaxRules} rules.")
            .Must(r => r!.Where(e => e?.Name is not null).GroupBy(e => e!.Name!.Trim(), StringComparer.OrdinalIgnoreCase).All(g => g.Count() == 1))
            .WithMessage("Each rule has its own name.")
            .Must(r => r!.Where(e => e is not null).GroupBy(e => (e!.AccountId, e.Type?.Trim().ToUpperInvariant())).All(g => g.Count() == 1))
            .WithMessage("Each scope (account, type, both, or neither for the default rule) has one rule.");
        RuleForEach(r => r.Rules).NotNull().ChildRules(rule =>
        {
            rule.RuleFor(e => e!.Name).Must(n => !string.IsNullOrWhiteSpace(n)).WithMessage("Name the rule.").MaximumLength(100);
            rule.RuleFor(e => e!.Months).NotNull().InclusiveBetween(1, RetentionRule.MaxMonths)
                .WithMessage($"A closed ticket is kept from 1 to {RetentionRule.MaxMonths} months.");
            rule.RuleFor(e => e!.AccountId).Must(a => a is null || !string.IsNullOrWhiteSpace(a)).WithMessage("Leave the account out for every account.").MaximumLength(100);
            rule.RuleFor(e => e!.Type).Must(t => t is null || !string.IsNullOrWhiteSpace(t)).WithMessage("Leave the type out for every type.").MaximumLength(100);
        });
    }
}

/// <summary>
/// Retention (docs/adr/0015-retention-policies.md), the admin's: <c>GET|PUT /api/admin/retention</c>
/// holds the rules (ETag, If-Match to replace: 428/412), <c>GET /api/admin/retention/preview</c> is
/// the dry run of what the <see cref="PurgeExpiredTickets"/> timer would purge now.
/// </summary>
public static class RetentionEndpoints
{
    public static IServiceCollection AddRetention(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<RetentionOptions>(configuration.GetSection(RetentionOptions.Section));
        return services
            .AddSingleton(StoreSelection.Of<IRetentionStore, SqliteRetentionStore, CosmosRetentionStore>())
            .AddScheduledJob<PurgeExpiredTickets>(PurgeExpiredTickets.FunctionName, TimeSpan.FromHours(1));
    }

    public static RouteGroupBuilder MapRetentionEndpoints(this RouteGroupBuilder api)
    {
        var retention = api.MapGroup("/admin/retention").WithTags("retention").RequireAuthorization(Policies.Admin);
        retention.MapGet("/", GetAsync).WithName("GetRetentionPolicy")
            .WithSummary("The retention rules (purge tickets closed more than N months ago, per account and/or type), with their ETag");
        retention.MapPut("/", PutAsync).Validate<RetentionPolicyRequest>().WithName("UpdateRetentionPolicy")
            .WithSummary("Replaces the retention rules (If-Match required)")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status412PreconditionFailed, StatusCodes.Status428PreconditionRequired);
        retention.MapGet("/preview", PreviewAsync).WithName("PreviewRetention")
            .WithSummary("Dry run: the tickets the retention timer would purge now, counted per rule and listed page by page")
            .ProducesProblems(StatusCodes.Status400BadRequest);
        return api;
    }

    private static async Task<Ok<RetentionPolicy>> GetAsync(IDirectoryStore directory, HttpResponse response, CancellationToken cancellationToken)
    {
        var stored = await directory.FindAsync(RetentionPolicy.Kind, RetentionPolicy.Id, cancellationToken);
        ETags.Set(response, stored?.Version ?? 0);
        return TypedResults.Ok(stored?.Value ?? RetentionPolicy.None);
    }

    /// <summary>Replaces the rules (If-Match required; version 0 is no rules). Accounts must exist, types be listed (retired ones too: their tickets remain).</summary>
    private static async Task<Results<Ok<RetentionPolicy>, ApiProblem>> PutAsync(
        RetentionPolicyRequest request,
        IDirectoryStore directory,
        TicketLists lists,
        HttpRequest http,
        HttpResponse response,
        CancellationToken cancellationToken)
    {
        var stored = await directory.FindAsync(RetentionPolicy.Kind, RetentionPolicy.Id, cancellationToken);
        if (ETags.RequireMatch(http, stored?.Version ?? 0) is { } refused)
        {
            return new ApiProblem(refused);
        }

        var errors = new Dictionary<string, string[]>();
        var types = (await lists.GetAsync(TicketListNames.Types, cancellationToken)).Value;
        var rules = new List<RetentionRule>();
        foreach (var (rule, i) in request.Rules!.Select((r, i) => (r!, i)))
        {
            var accountId = rule.AccountId?.Trim();
            if (accountId is not null && await directory.FindAsync(DirectoryKinds.Account, accountId, cancellationToken) is null)
            {
                errors[$"rules[{i}].accountId"] = [$"There is no account '{accountId}'."];
            }

            var type = rule.Type?.Trim();
            if (type is not null && types.Values.Count > 0 && !types.Values.Any(v => string.Equals(v.Value, type, StringComparison.OrdinalIgnoreCase)))
            {
                errors[$"rules[{i}].type"] = [$"'{type}' is not one of the ticket types: {string.Join(", ", types.Values.Select(v => v.Value))}."];
            }

            rules.Add(new RetentionRule(rule.Name!.Trim(), accountId, types.Spelling(type), rule.Months!.Value));
        }

        if (errors.Count > 0)
        {
            return new ApiProblem(Problems.Validation(errors));
        }

        var policy = new RetentionPolicy(rules);
        long version;
        if (stored is not null)
        {
            version = await directory.ReplaceAsync(RetentionPolicy.Kind, policy, stored.Version, cancellationToken);
        }
        else
        {
            try
            {
                await directory.CreateAsync(RetentionPolicy.Kind, policy, cancellationToken);
                version = 1;
            }
            catch (UniqueConstraintException)
            {
                throw new ConcurrencyConflictException("The retention rules were saved by someone else meanwhile.");
            }
        }

        ETags.Set(response, version);
        return TypedResults.Ok(policy);
    }

    /// <summary>
    /// The cursor names the policy version it was made under: a page asked for after the rules
    /// changed is a 400 on <c>cursor</c> (start again), not a page of another policy.
    /// </summary>
    private static async Task<Results<Ok<RetentionPreview>, ApiProblem>> PreviewAsync(
        int? limit,
        string? cursor,
        IDirectoryStore directory,
        IRetentionStore store,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (Paging.LimitProblem(limit) is { } badLimit)
        {
            return new ApiProblem(badLimit);
        }

        var stored = await directory.FindAsync(RetentionPolicy.Kind, RetentionPolicy.Id, cancellationToken);
        var policy = stored?.Value ?? RetentionPolicy.None;
        var version = stored?.Version ?? 0;
        var (ruleIndex, afterSeq) = cursor is null ? (0, 0L) : Decode(cursor, version, policy.Rules.Count);
        var now = clock.GetUtcNow();
        var rules = new List<RetentionRulePreview>();
        foreach (var rule in policy.Rules)
        {
            rules.Add(new RetentionRulePreview(rule.Name, rule.AccountId, rule.Type, rule.Months, rule.ClosedBefore(now), await store.CountAsync(policy.ScopeOf(rule, now), cancellationToken)));
        }

        var want = limit ?? Paging.DefaultLimit;
        var items = new List<RetentionTicketPreview>();
        string? next = null;
        for (var i = ruleIndex; i < policy.Rules.Count; i++)
        {
            var rule = policy.Rules[i];
            var room = want - items.Count;
            var page = await store.CandidatesAsync(policy.ScopeOf(rule, now), i == ruleIndex ? afterSeq : 0, room + 1, cancellationToken);
            var taken = page.Take(room).ToList();
            items.AddRange(taken.Select(row => new RetentionTicketPreview(row.Id, row.Number, row.Subject, row.AccountId, row.Type, row.UpdatedAt, row.Deleted, rule.Name)));
            if (page.Count > room)
            {
                next = Paging.EncodeKey(Key(version, i), taken[^1].Seq);
                break;
            }

            if (items.Count == want)
            {
                next = i + 1 < policy.Rules.Count ? Paging.EncodeKey(Key(version, i + 1), 0) : null;
                break;
            }
        }

        return TypedResults.Ok(new RetentionPreview(now, rules, items, next));
    }

    private static string Key(long version, int ruleIndex) => string.Create(CultureInfo.InvariantCulture, $"retention.{version}.{ruleIndex}");

    private static (int RuleIndex, long AfterSeq) Decode(string cursor, long version, int ruleCount)
    {
        var (order, seq) = Paging.DecodeOrderedKey(cursor);
        var parts = order.Split('.');
        return parts is ["retention", var v, var r]
            && long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var madeUnder) && madeUnder == version
            && int.TryParse(r, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < ruleCount
            ? (index, seq)
            : throw new InvalidCursorException();
    }
}
