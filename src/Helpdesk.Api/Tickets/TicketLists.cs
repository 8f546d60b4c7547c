using Helpdesk.Api.Common;
using Helpdesk.Api.Directory;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Tickets;

/// <summary>One value of an admin-owned list; a retired value stays on the tickets that carry it but is offered no more.</summary>
public sealed record ListValue(string Value, bool Retired);

/// <summary>An admin-owned list (FEATURES.md §1: types, groups, severities, impacts, channels); an empty list accepts any value.</summary>
public sealed record TicketList(string Name, IReadOnlyList<ListValue> Values)
{
    public const int MaxValueLength = 100;
    public const int MaxValues = 200;

    /// <summary>Null when <paramref name="value"/> may be given to a ticket, else the message naming the values offered.</summary>
    public string? Refusal(string? value)
    {
        if (value is null || Values.Count == 0)
        {
            return null;
        }

        var listed = Values.FirstOrDefault(v => string.Equals(v.Value, value, StringComparison.OrdinalIgnoreCase));
        var offered = string.Join(", ", Values.Where(v => !v.Retired).Select(v => v.Value));
        return listed switch
        {
            null => $"'{value}' is not one of: {offered}.",
            { Retired: true } => $"'{listed.Value}' is retired; pick one of: {offered}.",
            _ => null,
        };
    }

    /// <summary>The list's own spelling of an accepted value (a type given as "Incident" is stored as listed, "incident").</summary>
    public string? Spelling(string? value) =>
        value is null ? null : Values.FirstOrDefault(v => string.Equals(v.Value, value, StringComparison.OrdinalIgnoreCase))?.Value ?? value;
}

/// <summary>The lists an admin edits (<c>/api/lists/{name}</c>), and the ticket field each one fills.</summary>
public static class TicketListNames
{
    public const string Types = "types";
    public const string Groups = "groups";
    public const string Severities = "severities";
    public const string Impacts = "impacts";

    /// <summary>The channels a ticket can come through (email, phone, portal, ...); no ticket field names one yet.</summary>
    public const string Channels = "channels";

    public static readonly IReadOnlyList<string> All = [Types, Groups, Severities, Impacts, Channels];

    /// <summary>The ticket field a list's values are stored in, or null for a list no ticket field uses.</summary>
    public static TicketListField? FieldOf(string name) => name switch
    {
        Types => TicketListField.Type,
        Groups => TicketListField.Group,
        Severities => TicketListField.Severity,
        Impacts => TicketListField.Impact,
        _ => null,
    };
}

/// <summary>A ticket field whose values come from an admin-owned list.</summary>
public enum TicketListField
{
    Type,
    Group,
    Severity,
    Impact,
}

/// <summary>
/// The lists as they are now: the admin's saved list, or (version 0, never saved) the first values
/// of appsettings (<c>Tickets:Types</c>, <c>Groups</c>, <c>Severities</c>, <c>Impacts</c>, <c>Channels</c>).
/// </summary>
public sealed class TicketLists(IDirectoryStore directory, IOptions<TicketOptions> options)
{
    public static readonly DirectoryKind<TicketList> Kind = new("ticketList", l => l.Name, l => l.Name, "name", _ => []);

    public async Task<Versioned<TicketList>> GetAsync(string name, CancellationToken cancellationToken) =>
        await directory.FindAsync(Kind, name, cancellationToken) ?? new Versioned<TicketList>(Seed(name), 0);

    /// <summary>Checks each field given against its list: the errors by field, and the values spelt as listed.</summary>
    public async Task<IReadOnlyDictionary<TicketListField, string?>> CheckAsync(
        IReadOnlyDictionary<TicketListField, string?> given, IDictionary<string, string[]> errors, CancellationToken cancellationToken)
    {
        var accepted = new Dictionary<TicketListField, string?>();
        foreach (var (field, value) in given)
        {
            if (value is null)
            {
                accepted[field] = null;
                continue;
            }

            var list = (await GetAsync(NameOf(field), cancellationToken)).Value;
            if (list.Refusal(value) is { } refusal)
            {
                errors[FieldName(field)] = [refusal];
            }
            else
            {
                accepted[field] = list.Spelling(value);
            }
        }

        return accepted;
    }

    /// <summary>The rule of a request validator for one listed field: a failure naming the values offered when the list refuses the value.</summary>
    public async Task ValidateAsync<T>(TicketListField field, string? value, FluentValidation.ValidationContext<T> context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (value is not null && (await GetAsync(NameOf(field), cancellationToken)).Value.Refusal(value) is { } refusal)
        {
            context.AddFailure(refusal);
        }
    }

    public static string FieldName(TicketListField field) => field switch
    {
        TicketListField.Type => "type",
        TicketListField.Group => "group",
        TicketListField.Severity => "severity",
        _ => "impact",
    };

    public static string NameOf(TicketListField field) => field switch
    {
        TicketListField.Type => TicketListNames.Types,
        TicketListField.Group => TicketListNames.Groups,
        TicketListField.Severity => TicketListNames.Severities,
        _ => TicketListNames.Impacts,
    };

    private TicketList Seed(string name)
    {
        var o = options.Value;
        var values = name switch
        {
            TicketListNames.Types => o.Types,
            TicketListNames.Groups => o.Groups,
            TicketListNames.Severities => o.Severities,
            TicketListNames.Impacts => o.Impacts,
            TicketListNames.Channels => o.Channels,
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "No such list."),
        };
        return new TicketList(name, [.. values.Distinct(StringComparer.OrdinalIgnoreCase).Select(v => new ListValue(v, Retired: false))]);
    }
}
