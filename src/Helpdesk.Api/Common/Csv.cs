using System.Globalization;
using CsvHelper;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Helpdesk.Api.Common;

/// <summary>
/// A CSV download that Excel opens as intended, written by CsvHelper: RFC 4180 (comma separated,
/// CRLF lines, a field with a comma, a quote or a line break quoted, its quotes doubled), UTF-8
/// with a byte order mark (else accents break), numbers in invariant culture, true/false, and
/// text that a spreadsheet would run as a formula (= + - @ tab CR at the start) prefixed with an
/// apostrophe. Rows are cells of any type; the first row is the header.
/// </summary>
public sealed class Csv
{
    private static readonly CsvWriterOptions Options = CsvWriterOptions.Default with
    {
        WriteByteOrderMark = true,
        FormatProvider = CultureInfo.InvariantCulture,
        TrueValue = "true",
        FalseValue = "false",
        Injection = CsvInjection.Escape,
    };

    private readonly List<object?[]> _rows = [];

    public Csv Row(params object?[] cells)
    {
        _rows.Add(cells);
        return this;
    }

    public FileContentHttpResult ToResult(string fileName) => TypedResults.File(ToBytes(), "text/csv; charset=utf-8", fileName);


    private byte[] ToBytes()
    {
        using var bytes = new MemoryStream();
        using (var writer = CsvWriter.Create(bytes, Options, leaveOpen: true))
        {
            foreach (var row in _rows)
            {
                foreach (var cell in row)
                {
                    Write(writer, cell);
                }

                writer.EndRecord();
            }
        }

        return bytes.ToArray();
    }

    private static void Write(CsvWriter writer, object? cell)
    {
        switch (cell)
        {
            case null:
                writer.WriteField((string?)null);
                break;
            case string text:
                writer.WriteField(text);
                break;
            case bool flag:
                writer.WriteField(flag);
                break;
            default:
                writer.WriteField(cell);
                break;
        }
    }
}

public static class CsvResponses
{
    /// <summary>Declares a report's CSV form (<c>format=csv</c>) beside its JSON one: the same 200, a text/csv file.</summary>
    public static RouteHandlerBuilder WithCsv(this RouteHandlerBuilder route) => FileResponses.ProducesAlso(route, "text/csv", binary: true);
}
