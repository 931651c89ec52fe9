#pragma once
// The little XML S3 answers with (ListBucketResult, InitiateMultipartUploadResult, Error): flat
// elements read by tag name. Not a general XML parser: no attributes, namespaces or CDATA.
#include <string>
#include <string_view>
#include <vector>

namespace ktape::s3 {

// The text of every <tag>...</tag> in `xml`, in order, with the five predefined entities and
// numeric character references decoded. An empty element (<tag/>) gives "".
std::vector<std::string> xml_elements(std::string_view xml, std::string_view tag);
// The first such element, "" when absent.
std::string xml_first(std::string_view xml, std::string_view tag);
// `text` with &, <, >, " and ' escaped.
std::string xml_escape(std::string_view text);

}  // namespace ktape::s3
