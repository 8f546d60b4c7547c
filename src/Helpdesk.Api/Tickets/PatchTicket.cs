using System.Text.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Tickets;

/// <summary>
/// PATCH /api/tickets/{id}: a JSON merge patch (RFC 7396). A member that is absent stays as it
/// is, a member set to null is cleared (where clearing makes sense). Every bad member is reported
/// at once; If-Match is required.
/// </summary>
internal static class PatchTicket
{
    public static async Task<Results<Ok<TicketResponse>, ApiProblem>> HandleAsync(
        string id,
        JsonElement patch,
        HttpContext http,
        TicketRunner runner,
        Caller caller,
        TicketPresenter presenter,
        IDirectoryStore directory,
        TicketLists lists,
        IOptions<TicketOptions> options,
        CancellationToken cancellationToken)
    {
        if (patch.ValueKind != JsonValueKind.Object)
        {
            return new ApiProblem(Problems.Validation("body", "A merge patch is a JSON object."));
        }

        var reader = new PatchReader(patch);
        var changes = new TicketChanges
        {
            Subject = reader.RequiredString("subject", Ticket.MaxSubjectLength),
            Description = reader.NullableString("description", Ticket.MaxDescriptionLength),
            Priority = reader.Enum<Priority>("priority", "The priority is urgent, high, normal or low."),
            Type = reader.NullableString("type", TicketList.MaxValueLength),
            Group = reader.NullableString("group", TicketList.MaxValueLength),
            Severity = reader.NullableString("severity", TicketList.MaxValueLength),
            Impact = reader.NullableString("impact", TicketList.MaxValueLength),
            StartAt = reader.Instant("startAt"),
            DueAt = reader.NullableInstant("dueAt"),
            Progress = reader.Integer("progress", 0, 100),
            Tags = reader.Strings("tags", Ticket.MaxTags, Ticket.MaxTagLength),
            AccountId = reader.NullableString("accountId", 100),
            NotifyCustomer = reader.Boolean("notifyCustomer"),
            Project = reader.Link("project"),
            Contract = reader.Link("contract"),
        };
        var contactId = reader.RequiredString("contactId", 100);
        reader.RejectUnknown();

        if (changes.AccountId is { HasValue: true, Value: { } accountId }
            && !await DirectoryChecks.Exists(directory, DirectoryKinds.Account, accountId, cancellationToken))
        {
            reader.Errors["accountId"] = ["No such account."];
        }

        if (contactId.HasValue)
        {
            var contact = (await directory.FindAsync(DirectoryKinds.Contact, contactId.Value, cancellationToken))?.Value;
            if (contact is null)
            {
                reader.Errors["contactId"] = ["No such contact."];
            }
            else
            {
                changes = changes with { Requester = Optional.Of<Requester?>(new Requester(contact.Id, contact.Email, contact.Name)) };
            }
        }

        if (reader.Errors.Count > 0)
        {
            return new ApiProblem(Problems.Validation(reader.Errors));
        }

        var listed = await ListedAsync(changes, lists, cancellationToken);
        var outcome = await runner.RunAsync<Ticket>(
            id,
            await caller.ActorAsync(cancellationToken),
            TicketPrecondition.Require(http.Request),
            c =>
            {
                var errors = new Dictionary<string, string[]>();
                var checkedChanges = Checked(changes, c.Ticket, listed, errors);
                if (errors.Count > 0)
                {
                    return Problems.Validation(errors);
                }

                c.Ticket.Update(checkedChanges, options.Value.Settings, c.Actor, c.Now);
                return c.Ticket;
            },
            cancellationToken);
        return await presenter.AnswerAsync(outcome, http.Response, cancellationToken);
    }

    /// <summary>The list of each listed field the patch sets to a value.</summary>
    private static async Task<Dictionary<TicketListField, TicketList>> ListedAsync(TicketChanges changes, TicketLists lists, CancellationToken cancellationToken)
    {
        var listed = new Dictionary<TicketListField, TicketList>();
        foreach (var (field, value) in Listed(changes))
        {
            if (value is { HasValue: true, Value: not null })
            {
                listed[field] = (await lists.GetAsync(TicketLists.NameOf(field), cancellationToken)).Value;
            }
        }

        return listed;
    }

    /// <summary>
    /// The changes with each listed value spelt as its list spells it. A value the ticket already
    /// has is kept even when retired or no longer listed (a form sends back what it shows); any
    /// other must be offered by its list.
    /// </summary>
    private static TicketChanges Checked(TicketChanges changes, Ticket ticket, Dictionary<TicketListField, TicketList> listed, Dictionary<string, string[]> errors)
    {
        string? Check(TicketListField field, string? value, string? current)
        {
            if (value is null || string.Equals(value, current, StringComparison.OrdinalIgnoreCase))
            {
                return value is null ? null : current;
            }

            var list = listed[field];
            if (list.Refusal(value) is { } refusal)
            {
                errors[TicketLists.FieldName(field)] = [refusal];
            }

            return list.Spelling(value);
        }

        Optional<string?> Spelt(Optional<string?> given, TicketListField field, string? current) =>
            given.HasValue ? Optional.Of(Check(field, given.Value, current)) : given;

        return changes with
        {
            Type = Spelt(changes.Type, TicketListField.Type, ticket.Type),
            Group = Spelt(changes.Group, TicketListField.Group, ticket.Group),
            Severity = Spelt(changes.Severity, TicketListField.Severity, ticket.Severity),
            Impact = Spelt(changes.Impact, TicketListField.Impact, ticket.Impact),
        };
    }

    private static IEnumerable<(TicketListField Field, Optional<string?> Value)> Listed(TicketChanges changes) =>
    [
        (TicketListField.Type, changes.Type),
        (TicketListField.Group, changes.Group),
        (TicketListField.Severity, changes.Severity),
        (TicketListField.Impact, changes.Impact),
    ];

    private static readonly HashSet<string> Known =
    [
        "subject", "description", "priority", "type", "group", "severity", "impact",
        "startAt", "dueAt", "progress", "tags", "accountId", "contactId", "notifyCustomer",
        "project", "contract",
    ];

    /// <summary>Reads merge-patch members, collecting one error per bad field.</summary>
    private sealed class PatchReader(JsonElement patch)
    {
        public Dictionary<string, string[]> Errors { get; } = [];

        public void RejectUnknown()
        {
            foreach (var property in patch.EnumerateObject().Where(p => !Known.Contains(p.Name)))
            {
                Errors[property.Name] = ["Unknown property: this field cannot be patched."];
            }
        }

        public Optional<string> RequiredString(string name, int maxLength)
        {
            if (!patch.TryGetProperty(name, out var value))
            {
                return default;
            }

            if (!IsText(value, out var text) || string.IsNullOrWhiteSpace(text))
            {
                return Fail<string>(name, "A non-empty string of valid Unicode text is required; this field cannot be cleared.");
            }

            return text.Length > maxLength ? Fail<string>(name, $"At most {maxLength} characters.") : Optional.Of(text);
        }

        public Optional<string?> NullableString(string name, int maxLength)
        {
            if (!patch.TryGetProperty(name, out var value))
            {
                return default;
            }

            if (value.ValueKind == JsonValueKind.Null)
            {
                return Optional.Of<string?>(null);
            }

            if (!IsText(value, out var text))
            {
                return Fail<string?>(name, "A string of valid Unicode text or null is required.");
            }

            return text.Length > maxLength ? Fail<string?>(name, $"At most {maxLength} characters.") : Optional.Of<string?>(text);
        }

        /// <summary>A project or contract: <c>{ "id", "label" }</c> (the label defaults to the id), or null to unlink.</summary>
        public Optional<TicketLink?> Link(string name)
        {
            if (!patch.TryGetProperty(name, out var value))
            {
                return default;
            }

            if (value.ValueKind == JsonValueKind.Null)
            {
                return Optional.Of<TicketLink?>(null);
            }

            if (value.ValueKind != JsonValueKind.Object || value.EnumerateObject().Any(p => p.Name is not "id" and not "label"))
            {
                return Fail<TicketLink?>(name, "An object { id, label } or null is required.");
            }

            if (!value.TryGetProperty("id", out var idValue) || !IsText(idValue, out var linkId) || string.IsNullOrWhiteSpace(linkId) || linkId.Length > TicketLink.MaxIdLength)
            {
                return Fail<TicketLink?>($"{name}.id", $"The id is required: a non-empty string of at most {TicketLink.MaxIdLength} characters.");
            }

            var label = linkId;
            if (value.TryGetProperty("label", out var labelValue) && labelValue.ValueKind != JsonValueKind.Null
                && (!IsText(labelValue, out label) || string.IsNullOrWhiteSpace(label) || label.Length > TicketLink.MaxLabelLength))
            {
                return Fail<TicketLink?>($"{name}.label", $"The label is a non-empty string of at most {TicketLink.MaxLabelLength} characters, or absent.");
            }

            return Optional.Of<TicketLink?>(new TicketLink(linkId.Trim(), label.Trim()));
        }

        public Optional<TEnum> Enum<TEnum>(string name, string message)
            where TEnum : struct, System.Enum
        {
            if (!patch.TryGetProperty(name, out var value))
            {
                return default;
            }

            return IsText(value, out var text) && Names.TryParse<TEnum>(text, out var parsed)
                ? Optional.Of(parsed)
                : Fail<TEnum>(name, message);
        }

        public Optional<DateTimeOffset> Instant(string name)
        {
            if (!patch.TryGetProperty(name, out var value))
            {
                return default;
            }

            return value.ValueKind == JsonValueKind.String && UtcInstantConverter.TryParse(value.GetString()!, out var instant)
                ? Optional.Of(instant)
                : Fail<DateTimeOffset>(name, "An ISO-8601 instant with a time zone (e.g. 2026-11-30T17:00:00Z) is required; this field cannot be cleared.");
        }

        public Optional<DateTimeOffset?> NullableInstant(string name)
        {
            if (!patch.TryGetProperty(name, out var value))
            {
                return default;
            }

            if (value.ValueKind == JsonValueKind.Null)
            {
                return Optional.Of<DateTimeOffset?>(null);
            }

            return IsText(value, out var text) && UtcInstantConverter.TryParse(text, out var instant)
                ? Optional.Of<DateTimeOffset?>(instant)
                : Fail<DateTimeOffset?>(name, "An ISO-8601 instant with a time zone (e.g. 2026-11-30T17:00:00Z) or null is required.");
        }

        public Optional<int> Integer(string name, int min, int max)
        {
            if (!patch.TryGetProperty(name, out var value))
            {
                return default;
            }

            return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= min && number <= max
                ? Optional.Of(number)
                : Fail<int>(name, $"A whole number from {min} to {max} is required.");
        }

        public Optional<bool> Boolean(string name)
        {
            if (!patch.TryGetProperty(name, out var value))
            {
                return default;
            }

            return value.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? Optional.Of(value.GetBoolean())
                : Fail<bool>(name, "true or false is required.");
        }

        public Optional<IReadOnlyList<string>> Strings(string name, int maxCount, int maxLength)
        {
            if (!patch.TryGetProperty(name, out var value))
            {
                return default;
            }

            if (value.ValueKind == JsonValueKind.Null)
            {
                return Optional.Of<IReadOnlyList<string>>([]);
            }

            var items = new List<string>();
            foreach (var item in value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToList() : [value])
            {
                if (value.ValueKind != JsonValueKind.Array || !IsText(item, out var text))
                {
                    return Fail<IReadOnlyList<string>>(name, "An array of strings of valid Unicode text is required.");
                }

                items.Add(text);
            }

            return items.Count > maxCount || items.Any(i => i.Length > maxLength)
                ? Fail<IReadOnlyList<string>>(name, $"At most {maxCount} tags of at most {maxLength} characters.")
                : Optional.Of<IReadOnlyList<string>>(items);
        }

        /// <summary>
        /// The element's text; false for a non-string and for a string JsonElement cannot decode
        /// (an escaped lone surrogate such as "\ud800", on which GetString throws).
        /// </summary>
        private static bool IsText(JsonElement value, out string text)
        {
            text = string.Empty;
            if (value.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            try
            {
                text = value.GetString()!;
                return true;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }

        private Optional<T> Fail<T>(string name, string message)
        {
            Errors[name] = [message];
            return default;
        }
    }
}
