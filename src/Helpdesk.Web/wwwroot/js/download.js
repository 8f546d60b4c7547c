// Saves a file the console fetched with the user's token (a plain link cannot send the token):
// the bytes as they came from the API (a CSV keeps its byte order mark for Excel).
export async function save(fileName, contentType, streamReference) {
  const bytes = await streamReference.arrayBuffer();
  const url = URL.createObjectURL(new Blob([bytes], { type: contentType }));
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}
