using System.Globalization;
using System.Text;

namespace Helpdesk.Api.Reports;

/// <summary>
/// CSV that Excel opens as intended: UTF-8 with a byte order mark (else accents break), comma
/// separated, CRLF lines, numbers in invariant culture. Cells that a spreadsheet would run as a
/// formula (= + - @ at the start of text) are prefixed with an apostrophe.
/// </summary>
public sealed class Csv
{
    private readonly StringBuilder _text = new();

    public Csv Row(params object?[] cells)
    {
        _text.AppendJoin(',', cells.Select(Cell)).Append("\r\n");
        return this;
    }

    public IResult ToResult(string fileName) =>
        TypedResults.File([.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(_text.ToString())], "text/csv; charset=utf-8", fileName);

    private static string Cell(object? value) => value switch
    {
        null => string.Empty,
        bool b => b ? "true" : "false",
        IFormattable number and not DateTimeOffset and not DateOnly => Quote(number.ToString(null, CultureInfo.InvariantCulture), isText: false),
        IFormattable other => Quote(other.ToString(null, CultureInfo.InvariantCulture), isText: false),
        _ => Quote(value.ToString() ?? string.Empty, isText: true),
    };

    private static string Quote(string text, bool isText)
    {
        if (isText && text.Length > 0 && text[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            text = "'" + text;
        }

        return text.IndexOfAny([',', '"', '\r', '\n']) >= 0
            ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : text;
    }
}
