using FluentValidation;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Directory;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Leads;

/// <summary>Into which account the lead goes: an existing one, or a new one named <c>accountName</c> (else the lead's company name).</summary>
public sealed record LeadConversionRequest(string? AccountId, string? AccountName);

internal sealed class LeadConversionRequestValidator : AbstractValidator<LeadConversionRequest>
{
    public LeadConversionRequestValidator()
    {
        RuleFor(r => r.AccountId).MaximumLength(100);
        RuleFor(r => r.AccountName).MaximumLength(200);
    }
}

/// <summary>What the conversion made: the contact, its account, and the tickets whose requester moved to the contact by this call.</summary>
public sealed record LeadConversionResponse(string LeadId, string ContactId, string? AccountId, IReadOnlyList<string> Tickets);

/// <summary>
/// <c>POST /api/leads/{id}/convert</c> (issue 23 item 4): a lead becomes a contact of an account
/// without losing its tickets. The contact is the one that already has the lead's email (mail
/// from them made one) or a new one; the lead keeps which contact it became, so a conversion
/// stopped half-way is finished by calling again (the body is then ignored), and every ticket
/// still asked for by the lead moves to the contact through the ticket's write path, with its
/// history entry and <c>ticket.leadConverted</c> event.
/// </summary>
public static class LeadConversion
{
    private const int PageSize = 100;

    public static RouteGroupBuilder MapLeadEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/leads/{id}/convert", ConvertAsync).Validate<LeadConversionRequest>().WithTags("leads").RequireAuthorization(Policies.Staff).WithName("ConvertLead")
            .Produces<LeadConversionResponse>()
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status412PreconditionFailed);
        return api;
    }

    private static async Task<IResult> ConvertAsync(
        string id,
        LeadConversionRequest request,
        IDirectoryStore directory,
        ITicketStore tickets,
        TicketRunner runner,
        Caller caller,
        TimeProvider clock,
        HttpContext http,
        CancellationToken ct)
    {
        var lead = await directory.FindAsync(DirectoryKinds.Lead, id, ct);
        if (lead is null)
        {
            return Problems.NotFound("lead");
        }

        if (ETags.Refusal(ETags.IfMatchOf(http.Request), lead.Version, required: false) is { } stale)
        {
            return Problems.Result(stale);
        }

        if (lead.Value.ConvertedToContactId is null)
        {
            var converted = await ConvertLeadAsync(lead, request, directory, clock.GetUtcNow(), ct);
            if (converted.Problem is { } refused)
            {
                return Problems.Result(refused);
            }

            lead = converted.Value!;
        }

        var contact = (await directory.FindAsync(DirectoryKinds.Contact, lead.Value.ConvertedToContactId!, ct))?.Value
            ?? throw new InvalidOperationException($"Contact {lead.Value.ConvertedToContactId} of lead {id} is missing.");
        var requester = new Requester(contact.Id, contact.Email, contact.Name);
        var actor = await caller.ActorAsync(ct);
        var moved = new List<string>();
        foreach (var ticketId in await TicketsOfAsync(id, tickets, clock, ct))
        {
            var outcome = await runner.RunAsync<string>(
                ticketId,
                actor,
                TicketPrecondition.None,
                c =>
                {
                    if (c.Ticket.Requester is not { Lead: true } asker || asker.ContactId != id)
                    {
                        return Problems.Missing("lead ticket");
                    }

                    c.Ticket.ConvertLeadRequester(id, requester, contact.AccountId, c.Actor, c.Now);
                    return c.Ticket.Id;
                },
                ct);
            if (outcome.Succeeded)
            {
                moved.Add(ticketId);
            }
        }

        ETags.Set(http.Response, lead.Version);
        return TypedResults.Ok(new LeadConversionResponse(id, contact.Id, contact.AccountId, moved));
    }

    /// <summary>Finds or makes the account and the contact, then records on the lead which contact it became.</summary>
    private static async Task<Outcome<Versioned<Lead>>> ConvertLeadAsync(Versioned<Lead> lead, LeadConversionRequest request, IDirectoryStore directory, DateTimeOffset now, CancellationToken ct)
    {
        if (!lead.Value.Active)
        {
            return Problems.Create(StatusCodes.Status409Conflict, ProblemTypes.Rule("lead-inactive"), "The lead is deactivated: reactivate it to convert it.", null);
        }

        var existing = await directory.FindByKeyAsync(DirectoryKinds.Contact, EmailAddresses.Normalize(lead.Value.Email), ct);
        var accountId = request.AccountId?.Trim();
        if (accountId is not null && await directory.FindAsync(DirectoryKinds.Account, accountId, ct) is null)
        {
            return Problems.Validation("accountId", "No such account.");
        }

        if (existing is { AccountId: { } current } && accountId is not null && current != accountId)
        {
            return Problems.Create(
                StatusCodes.Status409Conflict,
                ProblemTypes.Rule("contact-of-another-account"),
                $"Contact {existing.Id} already has the lead's email and belongs to account {current}.",
                null);
        }

        accountId ??= existing?.AccountId;
        if (accountId is null)
        {
            var name = (string.IsNullOrWhiteSpace(request.AccountName) ? lead.Value.CompanyName : request.AccountName)?.Trim();
            if (string.IsNullOrEmpty(name) || name.Length > 200)
            {
                return Problems.Validation("accountName", "Name the account (accountId or accountName, at most 200 characters): the lead has no company name.");
            }

            var account = new Account(Ids.New("acc", now), name, [], Active: true);
            await directory.CreateAsync(DirectoryKinds.Account, account, ct);
            accountId = account.Id;
        }

        var contactId = existing?.Id ?? Ids.New("con", now);
        if (existing is null)
        {
            await directory.CreateAsync(DirectoryKinds.Contact, new Contact(contactId, lead.Value.Email, lead.Value.Name, accountId, Active: true), ct);
        }
        else if (existing.AccountId is null)
        {
            var found = await directory.FindAsync(DirectoryKinds.Contact, existing.Id, ct);
            await directory.ReplaceAsync(DirectoryKinds.Contact, existing with { AccountId = accountId }, found!.Version, ct);
        }

        var converted = lead.Value with { ConvertedToContactId = contactId, ConvertedAt = now, Active = false };
        var version = await directory.ReplaceAsync(DirectoryKinds.Lead, converted, lead.Version, ct);
        return new Versioned<Lead>(converted, version);
    }

    /// <summary>Every ticket the lead asked for, read before any moves (moving changes what the query matches).</summary>
    private static async Task<IReadOnlyList<string>> TicketsOfAsync(string leadId, ITicketStore tickets, TimeProvider clock, CancellationToken ct)
    {
        var ids = new List<string>();
        string? cursor = null;
        do
        {
            var page = await tickets.QueryAsync(new TicketQuery(TicketView.All, clock.GetUtcNow(), PageSize, cursor, ContactId: leadId), ct);
            ids.AddRange(page.Items.Where(t => t.Requester is { Lead: true }).Select(t => t.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return ids;
    }
}
