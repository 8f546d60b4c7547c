using System.Net;
using System.Text.RegularExpressions;
using FluentValidation;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Helpdesk.Api.Conversation;

/// <summary>A quick-reply template. The body is sanitised HTML with <c>{{placeholders}}</c> filled in per ticket.</summary>
public sealed record CannedResponse(string Id, string Name, string Body, bool Active);

public sealed record CannedResponseRequest(string? Name, string? Body, bool? Active);

public sealed record RenderCannedResponseRequest(string? TicketId);

/// <summary>A template filled in for one ticket: HTML to insert in a reply, and its text.</summary>
public sealed record RenderedCannedResponse(string Body, string Text);

public static partial class CannedResponsePlaceholders
{
    /// <summary>Every placeholder a template may use.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "requester.name", "requester.email", "ticket.number", "ticket.subject", "ticket.status", "agent.name", "agent.email", "account.name",
    ];

    public static IEnumerable<string> Unknown(string body) =>
        Placeholder().Matches(body).Select(m => m.Groups[1].Value).Where(n => !Names.Contains(n)).Distinct(StringComparer.Ordinal);

    /// <summary>Replaces each placeholder by its HTML-encoded value (empty when unknown for this ticket).</summary>
    public static string Fill(string body, IReadOnlyDictionary<string, string?> values) =>
        Placeholder().Replace(body, m => WebUtility.HtmlEncode(values.GetValueOrDefault(m.Groups[1].Value) ?? string.Empty));

    [GeneratedRegex(@"\{\{\s*([a-zA-Z]+\.[a-zA-Z]+)\s*\}\}")]
    private static partial Regex Placeholder();
}

internal sealed class CannedResponseValidator : AbstractValidator<CannedResponseRequest>
{
    public CannedResponseValidator()
    {
        RuleFor(r => r.Name).NotEmpty().MaximumLength(200);
        RuleFor(r => r.Body).NotEmpty().MaximumLength(PostMessageValidator.MaxBodyLength);
        RuleFor(r => r.Body).Must(b => b is null || !CannedResponsePlaceholders.Unknown(b).Any())
            .WithMessage(r => $"Unknown placeholders: {string.Join(", ", CannedResponsePlaceholders.Unknown(r.Body!))}. Known: {string.Join(", ", CannedResponsePlaceholders.Names)}.");
    }
}

internal sealed class RenderCannedResponseValidator : AbstractValidator<RenderCannedResponseRequest>
{
    public RenderCannedResponseValidator() => RuleFor(r => r.TicketId).NotEmpty();
}

/// <summary>Canned responses: staff read and render them, supervisors maintain them.</summary>
internal sealed class CannedResponses : DirectoryResource<CannedResponse, CannedResponseRequest>
{
    public static readonly DirectoryKind<CannedResponse> Kinds = new("cannedResponse", c => c.Id, c => c.Name, "name", _ => []);

    public override DirectoryKind<CannedResponse> Kind => Kinds;

    protected override string IdPrefix => "can";

    protected override string WritePolicy => Policies.Supervisor;

    protected override Task<IDictionary<string, string[]>?> CheckReferencesAsync(CannedResponseRequest request, IDirectoryStore store, CancellationToken cancellationToken) =>
        Task.FromResult<IDictionary<string, string[]>?>(null);

    protected override CannedResponse Build(string id, CannedResponseRequest request) =>
        new(id, request.Name!.Trim(), HtmlSanitizer.Sanitize(request.Body!).Html, request.Active ?? true);

    protected override CannedResponse Deactivate(CannedResponse entry) => entry with { Active = false };

    public static async Task<Results<Ok<RenderedCannedResponse>, ApiProblem>> RenderAsync(
        string id,
        RenderCannedResponseRequest request,
        IDirectoryStore directory,
        ITicketStore tickets,
        Caller caller,
        CancellationToken cancellationToken)
    {
        var canned = (await directory.FindAsync(Kinds, id, cancellationToken))?.Value;
        if (canned is null)
        {
            return new ApiProblem(Problems.Missing("canned response"));
        }

        var ticket = await tickets.FindAsync(request.TicketId!, cancellationToken);
        if (ticket is null)
        {
            return new ApiProblem(Problems.Validation("ticketId", "No such ticket."));
        }

        var agent = await caller.AgentAsync(cancellationToken);
        var account = ticket.AccountId is null ? null : (await directory.FindAsync(DirectoryKinds.Account, ticket.AccountId, cancellationToken))?.Value;
        var values = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["requester.name"] = ticket.Requester?.Name ?? ticket.Requester?.Email,
            ["requester.email"] = ticket.Requester?.Email,
            ["ticket.number"] = ticket.Number,
            ["ticket.subject"] = ticket.Subject,
            ["ticket.status"] = Domain.Common.Names.Of(ticket.Status),
            ["agent.name"] = agent?.Name ?? caller.User.Email,
            ["agent.email"] = agent?.Email ?? caller.User.Email,
            ["account.name"] = account?.Name,
        };
        var body = HtmlSanitizer.Sanitize(CannedResponsePlaceholders.Fill(canned.Body, values));
        return TypedResults.Ok(new RenderedCannedResponse(body.Html, body.Text));
    }
}
