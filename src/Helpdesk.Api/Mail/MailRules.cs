using FluentValidation;
using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Graph.Models;

namespace Helpdesk.Api.Mail;

/// <summary>
/// One test of a collector rule: the mail's <c>sender</c> (address), <c>domain</c> (of the sender),
/// <c>subject</c>, <c>recipient</c> (any To or Cc address) or <c>header</c> (the one named), that
/// <c>equals</c> or <c>contains</c> the value, letter case aside.
/// </summary>
public sealed record MailRuleCondition(string Field, string? Header, string Match, string Value);

/// <summary>What a matching rule does to the ticket a new mail opens, or <c>quarantine</c>: the mail is held for a supervisor.</summary>
public sealed record MailRuleActions(string? TeamId, string? AssigneeId, string? Type, Priority? Priority, IReadOnlyList<string>? Tags, bool Quarantine);

/// <summary>A collector rule: every condition must hold.</summary>
public sealed record MailRule(string Name, IReadOnlyList<MailRuleCondition> When, MailRuleActions Then);

/// <summary>A mailbox's collector rules (Dolibarr's email collector), in the order they are tried.</summary>
public sealed record MailRuleSet(string Mailbox, IReadOnlyList<MailRule> Rules)
{
    public static readonly DirectoryKind<MailRuleSet> Kind = new("mailRules", s => s.Mailbox, s => s.Mailbox, "mailbox", _ => []);

    public static readonly IReadOnlyList<string> Fields = ["sender", "domain", "subject", "recipient", "header"];
    public static readonly IReadOnlyList<string> Matches = ["equals", "contains"];
    public const int MaxRules = 100;
}

/// <summary>
/// What the rules made of one mail: held back (<see cref="Quarantine"/>, naming the rule), or the
/// fields for the ticket it opens, and one line per rule applied for the mail's journal ("why").
/// </summary>
public sealed record MailRouting(string? Quarantine, string? TeamId, string? AssigneeId, string? Type, Priority? Priority, IReadOnlyList<string> Tags, IReadOnlyList<string> Notes)
{
    public static readonly MailRouting None = new(null, null, null, null, null, [], []);
}

/// <summary>
/// The collector-rule step of mail intake: every rule of the mailbox whose conditions all hold is
/// applied in order (a later rule's team, assignee, type or priority wins; tags add up); a
/// quarantine rule stops there. A mail threading onto an existing ticket is only ever quarantined:
/// a reply does not re-route its ticket.
/// </summary>
public sealed class MailRules(IDirectoryStore directory, TicketReferences references, TicketLists lists)
{
    public async Task<MailRouting> ApplyAsync(SupportMailbox mailbox, Message message, string from, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mailbox);
        ArgumentNullException.ThrowIfNull(message);
        var rules = (await directory.FindAsync(MailRuleSet.Kind, mailbox.Id, cancellationToken))?.Value.Rules ?? [];
        var routing = MailRouting.None;
        foreach (var rule in rules.Where(r => r.When.All(c => Holds(c, message, from))))
        {
            if (rule.Then.Quarantine)
            {
                return routing with { Quarantine = $"Collector rule '{rule.Name}' quarantined the mail.", Notes = [.. routing.Notes, $"Rule '{rule.Name}': quarantine."] };
            }

            var then = rule.Then;
            routing = routing with
            {
                TeamId = then.TeamId ?? routing.TeamId,
                AssigneeId = then.AssigneeId ?? routing.AssigneeId,
                Type = then.Type ?? routing.Type,
                Priority = then.Priority ?? routing.Priority,
                Tags = [.. routing.Tags.Union(then.Tags ?? [], StringComparer.OrdinalIgnoreCase)],
                Notes = [.. routing.Notes, $"Rule '{rule.Name}': {Describe(then)}."],
            };
        }

        return await StillValidAsync(routing, cancellationToken);
    }

    /// <summary>A team, agent or type a rule names that is gone (or retired) since the rule was saved is left out, and said so.</summary>
    private async Task<MailRouting> StillValidAsync(MailRouting routing, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        await references.CheckAssignmentAsync(routing.AssigneeId, routing.TeamId, errors, "assignee", "team", cancellationToken);
        if (routing.Type is not null && (await lists.GetAsync(TicketListNames.Types, cancellationToken)).Value.Refusal(routing.Type) is { } refusal)
        {
            errors["type"] = [refusal];
        }

        return errors.Count == 0 ? routing : routing with
        {
            AssigneeId = errors.ContainsKey("assignee") ? null : routing.AssigneeId,
            TeamId = errors.ContainsKey("team") ? null : routing.TeamId,
            Type = errors.ContainsKey("type") ? null : routing.Type,
            Notes = [.. routing.Notes, .. errors.Select(e => $"Left out the rules' {e.Key}: {string.Join(' ', e.Value)}")],
        };
    }

    private static bool Holds(MailRuleCondition condition, Message message, string from)
    {
        IEnumerable<string> values = condition.Field switch
        {
            "sender" => [from],
            "domain" => [from.Contains('@', StringComparison.Ordinal) ? from[(from.LastIndexOf('@') + 1)..] : string.Empty],
            "subject" => [message.Subject ?? string.Empty],
            "recipient" => (message.ToRecipients ?? []).Concat(message.CcRecipients ?? []).Select(r => r.EmailAddress?.Address ?? string.Empty),
            _ => (message.InternetMessageHeaders ?? [])
                .Where(h => string.Equals(h.Name, condition.Header, StringComparison.OrdinalIgnoreCase))
                .Select(h => h.Value ?? string.Empty),
        };
        return values.Any(v => condition.Match == "equals"
            ? string.Equals(v.Trim(), condition.Value, StringComparison.OrdinalIgnoreCase)
            : v.Contains(condition.Value, StringComparison.OrdinalIgnoreCase));
    }

    private static string Describe(MailRuleActions then) =>
        string.Join(", ", new[]
        {
            then.TeamId is null ? null : $"team {then.TeamId}",
            then.AssigneeId is null ? null : $"assignee {then.AssigneeId}",
            then.Type is null ? null : $"type {then.Type}",
            then.Priority is null ? null : $"priority {Names.Of(then.Priority.Value)}",
            then.Tags is not { Count: > 0 } ? null : $"tags {string.Join(' ', then.Tags)}",
        }.OfType<string>());
}

public sealed record MailRuleConditionRequest(string? Field, string? Header, string? Match, string? Value);

public sealed record MailRuleActionsRequest(string? TeamId, string? AssigneeId, string? Type, string? Priority, IReadOnlyList<string>? Tags, bool? Quarantine);

public sealed record MailRuleRequest(string? Name, IReadOnlyList<MailRuleConditionRequest?>? When, MailRuleActionsRequest? Then);

/// <summary>The mailbox's whole rule list, in the order the rules are tried.</summary>
public sealed record MailRuleSetRequest(IReadOnlyList<MailRuleRequest?>? Rules);

internal sealed class MailRuleSetRequestValidator : AbstractValidator<MailRuleSetRequest>
{
    public MailRuleSetRequestValidator()
    {
        RuleFor(r => r.Rules).Cascade(CascadeMode.Stop).NotNull()
            .Must(r => r!.Count <= MailRuleSet.MaxRules).WithMessage($"A mailbox has at most {MailRuleSet.MaxRules} rules.")
            .Must(r => r!.Where(e => e?.Name is not null).GroupBy(e => e!.Name!.Trim(), StringComparer.OrdinalIgnoreCase).All(g => g.Count() == 1))
            .WithMessage("Each rule has its own name.");
        RuleForEach(r => r.Rules).NotNull().ChildRules(rule =>
        {
            rule.RuleFor(e => e!.Name).Must(n => !string.IsNullOrWhiteSpace(n)).WithMessage("Name the rule.").MaximumLength(100);
            rule.RuleFor(e => e!.When).Cascade(CascadeMode.Stop).NotNull().Must(w => w!.Count is >= 1 and <= 20).WithMessage("A rule has from 1 to 20 conditions.");
            rule.RuleForEach(e => e!.When).NotNull().ChildRules(when =>
            {
                when.RuleFor(c => c!.Field).Must(f => f is not null && MailRuleSet.Fields.Contains(f))
                    .WithMessage($"The field is one of: {string.Join(", ", MailRuleSet.Fields)}.");
                when.RuleFor(c => c!.Header).Must(h => !string.IsNullOrWhiteSpace(h)).When(c => c!.Field == "header").WithMessage("Name the header to test.")
                    .MaximumLength(200);
                when.RuleFor(c => c!.Header).Null().When(c => c!.Field != "header").WithMessage("Only a header condition names a header.");
                when.RuleFor(c => c!.Match).Must(m => m is null || MailRuleSet.Matches.Contains(m))
                    .WithMessage($"The match is one of: {string.Join(", ", MailRuleSet.Matches)} (contains when left out).");
                when.RuleFor(c => c!.Value).Must(v => !string.IsNullOrWhiteSpace(v)).WithMessage("Give the value to look for.").MaximumLength(500);
            });
            rule.RuleFor(e => e!.Then).Cascade(CascadeMode.Stop).NotNull()
                .Must(t => t!.Quarantine == true || t.TeamId is not null || t.AssigneeId is not null || t.Type is not null || t.Priority is not null || t.Tags is { Count: > 0 })
                .WithMessage("A rule does something: quarantine, or set a team, assignee, type, priority or tags.")
                .Must(t => t!.Quarantine != true || (t.TeamId is null && t.AssigneeId is null && t.Type is null && t.Priority is null && t.Tags is null))
                .WithMessage("A quarantine rule sets nothing else: the mail opens no ticket.");
            rule.RuleFor(e => e!.Then == null ? null : e.Then.Priority).Must(p => p is null || Names.TryParse<Priority>(p, out _))
                .WithMessage("The priority is urgent, high, normal or low.").OverridePropertyName("then.priority");
            rule.RuleFor(e => e!.Then == null ? null : e.Then.Tags).Must(t => t is null || t.Count <= Ticket.MaxTags)
                .WithMessage($"A ticket has at most {Ticket.MaxTags} tags.").OverridePropertyName("then.tags");
            rule.RuleForEach(e => e!.Then == null ? null : e.Then.Tags).Must(t => !string.IsNullOrWhiteSpace(t) && t.Length <= Ticket.MaxTagLength)
                .WithMessage($"A tag is 1 to {Ticket.MaxTagLength} characters.").OverridePropertyName("then.tags");
        });
    }
}

/// <summary>GET|PUT /api/mail/mailboxes/{mailbox}/rules: a mailbox's collector rules (admins).</summary>
internal static class MailRuleEndpoints
{
    public static async Task<Results<Ok<MailRuleSet>, ApiProblem>> GetAsync(
        string mailbox, IDirectoryStore directory, IOptions<MailOptions> options, HttpResponse response, CancellationToken cancellationToken)
    {
        if (options.Value.Find(mailbox) is not { } found)
        {
            return new ApiProblem(Problems.Missing("mailbox"));
        }

        var stored = await directory.FindAsync(MailRuleSet.Kind, found.Id, cancellationToken);
        ETags.Set(response, stored?.Version ?? 0);
        return TypedResults.Ok(stored?.Value ?? new MailRuleSet(found.Id, []));
    }

    /// <summary>Replaces the rules (If-Match required; version 0 is no rules). Teams, agents and types named must exist.</summary>
    public static async Task<Results<Ok<MailRuleSet>, ApiProblem>> PutAsync(
        string mailbox,
        MailRuleSetRequest request,
        IDirectoryStore directory,
        TicketReferences references,
        TicketLists lists,
        IOptions<MailOptions> options,
        HttpRequest http,
        HttpResponse response,
        CancellationToken cancellationToken)
    {
        if (options.Value.Find(mailbox) is not { } found)
        {
            return new ApiProblem(Problems.Missing("mailbox"));
        }

        var stored = await directory.FindAsync(MailRuleSet.Kind, found.Id, cancellationToken);
        if (ETags.RequireMatch(http, stored?.Version ?? 0) is { } refused)
        {
            return new ApiProblem(refused);
        }

        var errors = new Dictionary<string, string[]>();
        var rules = new List<MailRule>();
        foreach (var (rule, i) in request.Rules!.Select((r, i) => (r!, i)))
        {
            var then = rule.Then!;
            await references.CheckAssignmentAsync(then.AssigneeId, then.TeamId, errors, $"rules[{i}].then.assigneeId", $"rules[{i}].then.teamId", cancellationToken);
            var type = (await lists.GetAsync(TicketListNames.Types, cancellationToken)).Value;
            if (type.Refusal(then.Type) is { } refusal)
            {
                errors[$"rules[{i}].then.type"] = [refusal];
            }

            rules.Add(new MailRule(
                rule.Name!.Trim(),
                [.. rule.When!.Select(c => new MailRuleCondition(c!.Field!, c.Field == "header" ? c.Header!.Trim() : null, c.Match ?? "contains", c.Value!.Trim()))],
                new MailRuleActions(then.TeamId, then.AssigneeId, type.Spelling(then.Type), then.Priority is null ? null : Names.Parse<Priority>(then.Priority), then.Tags?.Select(t => t.Trim()).ToArray(), then.Quarantine ?? false)));
        }

        if (errors.Count > 0)
        {
            return new ApiProblem(Problems.Validation(errors));
        }

        var set = new MailRuleSet(found.Id, rules);
        long version;
        if (stored is not null)
        {
            version = await directory.ReplaceAsync(MailRuleSet.Kind, set, stored.Version, cancellationToken);
        }
        else
        {
            try
            {
                await directory.CreateAsync(MailRuleSet.Kind, set, cancellationToken);
                version = 1;
            }
            catch (UniqueConstraintException)
            {
                throw new ConcurrencyConflictException("The rules were saved by someone else meanwhile.");
            }
        }

        ETags.Set(response, version);
        return TypedResults.Ok(set);
    }
}
