// The rewriting half of Relinker: owner UIDs in objects and in the three kinds of patch, then the
// other UID fields (rewrite_fields.cpp).
#include <functional>
#include <mutex>

#include "ownerref/relinker.hpp"

namespace ktape::ownerref {

namespace {

using formats::Value;

constexpr std::string_view k_refs = "ownerReferences";
// The strategic merge patch directive that orders a merge list (apimachinery's strategicpatch).
constexpr std::string_view k_order = "$setElementOrder/ownerReferences";
constexpr std::string_view k_refs_pointer = "/metadata/ownerReferences";

// A rewritten copy of one list, and whether dropping emptied it.
struct Edited {
  Value list;
  bool emptied = false;
};

enum class ListShape {
  whole,      // every entry is an owner reference (an object, a merge patch, a JSON patch value)
  strategic,  // entries may be $patch directives
};

// One rewrite: looks UIDs up through `find` (the caller holds the Relinker's lock), applies the
// dangling policy and collects the outcome.
class Pass {
 public:
  using Find = std::function<const std::string*(std::string_view)>;
  Pass(Find find, DanglingOwners policy) : m_find(std::move(find)), m_policy(policy) {}

  Rewrite take() { return std::move(m_out); }

  // A whole owner reference; false when it is to leave its list. may_drop is false where removing
  // it is not safe (a JSON patch operation's value).
  bool owner(Value& entry, bool may_drop) {
    if (replace_uid(entry.find("uid"))) return true;
    OwnerRef ref = owner_ref_of(entry);
    bool drop = may_drop && m_policy == DanglingOwners::drop;
    if (!seen(ref)) (drop ? m_out.dropped : m_out.kept).push_back(std::move(ref));
    return !drop;
  }

  // {"uid": X} naming an owner without being one (a delete directive, an order entry): rewritten
  // when mapped, never reported, dropped with the references it names when the policy drops.
  bool named(Value& entry) { return replace_uid(entry.find("uid")) || m_policy == DanglingOwners::keep; }

  // A bare UID (a JSON patch on .../N/uid): rewritten when mapped, else kept and reported.
  void bare_uid(Value& uid) {
    if (!replace_uid(&uid)) owner_kept(OwnerRef{{}, {}, {}, uid.is_string() ? uid.as_string() : ""});
  }

  Result<Edited> list(const Value& list, std::string_view field, ListShape shape, bool may_drop = true) {
    if (!list.is_array()) return fail(ErrorKind::invalid, std::string(field) + " is not a list");
    Edited out{Value::array(), false};
    for (std::size_t i = 0; i < list.size(); ++i) {
      Value entry = list.as_array()[i];
      if (!entry.is_object())
        return fail(ErrorKind::invalid, std::string(field) + "[" + std::to_string(i) + "] is not an object");
      if (keep_entry(entry, shape, may_drop)) out.list.push_back(std::move(entry));
    }
    out.emptied = list.size() > 0 && out.list.size() == 0;
    return out;
  }

  // The {"uid": ...} entries of a $setElementOrder list.
  Result<Edited> order(const Value& list, std::string_view field) {
    if (!list.is_array()) return fail(ErrorKind::invalid, std::string(field) + " is not a list");
    Edited out{Value::array(), false};
    for (const Value& item : list.as_array()) {
      Value entry = item;
      if (!entry.is_object())
        return fail(ErrorKind::invalid, std::string(field) + " has an entry without a uid");
      if (named(entry)) out.list.push_back(std::move(entry));
    }
    out.emptied = list.size() > 0 && out.list.size() == 0;
    return out;
  }

 private:
  bool keep_entry(Value& entry, ListShape shape, bool may_drop) {
    if (shape == ListShape::strategic) {
      std::string_view directive = entry.string_at({"$patch"});
      if (directive == "delete") return named(entry);
      if (!directive.empty()) return true;  // "replace" / "merge" markers carry no owner
    }
    return owner(entry, may_drop);
  }

  bool replace_uid(Value* uid) {
    if (!uid || !uid->is_string()) return false;
    const std::string* mapped = m_find(uid->as_string());
    if (!mapped) return false;
    *uid = Value(*mapped);
    ++m_out.rewritten;
    return true;
  }

  void owner_kept(OwnerRef ref) {
    if (!seen(ref)) m_out.kept.push_back(std::move(ref));
  }

  bool seen(const OwnerRef& ref) const {
    auto same = [&](const OwnerRef& other) { return ref.uid.empty() ? other == ref : other.uid == ref.uid; };
    for (const auto& r : m_out.dropped)
      if (same(r)) return true;
    for (const auto& r : m_out.kept)
      if (same(r)) return true;
    return false;
  }

  Find m_find;
  DanglingOwners m_policy;
  Rewrite m_out;
};

// metadata.ownerReferences of an object or a merge patch, replaced whole. remove_emptied: an
// object loses the field when dropping emptied it; a merge patch keeps [] ("no owners").
Result<void> rewrite_whole(Pass& pass, Value& doc, bool remove_emptied) {
  Value* metadata = doc.find("metadata");
  Value* refs = metadata ? metadata->find(k_refs) : nullptr;
  if (!refs || refs->is_null()) return {};
  auto edited = pass.list(*refs, "metadata.ownerReferences", ListShape::whole);
  if (!edited) return fail(edited.error());
  if (edited->emptied && remove_emptied)
    metadata->erase(k_refs);
  else
    *refs = std::move(edited->list);
  return {};
}

Result<void> rewrite_strategic(Pass& pass, Value& patch) {
  Value* metadata = patch.find("metadata");
  if (!metadata || !metadata->is_object()) return {};
  Value* refs = metadata->find(k_refs);
  Value* order = metadata->find(k_order);
  Result<Edited> refs_edit = Edited{};
  Result<Edited> order_edit = Edited{};
  if (refs && !refs->is_null())
    refs_edit = pass.list(*refs, "metadata.ownerReferences", ListShape::strategic);
  if (!refs_edit) return fail(refs_edit.error());
  if (order && !order->is_null()) order_edit = pass.order(*order, "metadata." + std::string(k_order));
  if (!order_edit) return fail(order_edit.error());
  // Both edits are complete before either is stored, so an Error leaves the patch as it was.
  if (refs && !refs->is_null()) *refs = std::move(refs_edit->list);
  if (order && !order->is_null()) *order = std::move(order_edit->list);
  if (refs_edit->emptied) metadata->erase(k_refs);
  if (order_edit->emptied) metadata->erase(k_order);
  return {};
}

// One JSON patch operation; `where` names it for errors ("operation 2").
Result<void> rewrite_operation(Pass& pass, Value& op, const std::string& where) {
  std::string_view verb = op.string_at({"op"});
  const Value* pointer = op.find("path");
  Value* value = op.find("value");
  if (!pointer || !pointer->is_string() || !value) return {};
  if (verb != "add" && verb != "replace" && verb != "test") return {};
  std::string_view path = pointer->as_string();
  if (path.empty() || path == "/metadata") {  // the whole document, or its metadata
    Value holder = Value::object();
    if (!path.empty()) holder.set("metadata", std::move(*value));
    auto done = rewrite_whole(pass, path.empty() ? *value : holder, false);
    if (!path.empty()) *value = std::move(holder["metadata"]);
    if (!done) return fail(with_context(done.error(), where));
    return {};
  }
  if (!path.starts_with(k_refs_pointer)) return {};
  std::string_view rest = path.substr(k_refs_pointer.size());
  if (!rest.empty() && rest[0] != '/') return {};  // another field that starts alike
  if (rest.empty()) {
    auto edited = pass.list(*value, where + " value", ListShape::whole);
    if (!edited) return fail(edited.error());
    *value = std::move(edited->list);
  } else if (rest.ends_with("/uid") && rest.find('/', 1) == rest.size() - 4) {
    pass.bare_uid(*value);
  } else if (rest.find('/', 1) == std::string_view::npos) {
    if (!value->is_object()) return fail(ErrorKind::invalid, where + " value is not an object");
    pass.owner(*value, false);
  }
  return {};
}

Result<void> rewrite_json(Pass& pass, Value& patch) {
  if (!patch.is_array()) return fail(ErrorKind::invalid, "a JSON patch is not a list of operations");
  for (std::size_t i = 0; i < patch.size(); ++i) {
    Value& op = patch.as_array()[i];
    auto done = rewrite_operation(pass, op, "operation " + std::to_string(i));
    if (!done) return fail(done.error());
  }
  return {};
}

void add(Rewrite& out, const FieldRelink& fields) {
  out.rewritten += fields.rewritten;
  out.left_to_server += fields.left_to_server;
}

}  // namespace

Result<Rewrite> Relinker::rewrite_object(Value& object) const {
  std::shared_lock lock(m_mutex);
  Pass pass([this](std::string_view uid) { return find_locked(uid); }, m_policy);
  auto done = rewrite_whole(pass, object, true);
  if (!done) return fail(done.error());
  Rewrite out = pass.take();
  add(out, relink_object_fields([this](std::string_view uid) { return find_locked(uid); }, object));
  return counted(std::move(out));
}

Result<Rewrite> Relinker::rewrite_patch(formats::PatchType type, Value& patch, std::string_view group,
                                        std::string_view kind) const {
  std::shared_lock lock(m_mutex);
  Pass pass([this](std::string_view uid) { return find_locked(uid); }, m_policy);
  // JSON patches are rewritten on a copy: their operations are checked one at a time.
  Value copy = type == formats::PatchType::json ? patch : Value();
  Result<void> done;
  switch (type) {
    case formats::PatchType::merge:
      done = rewrite_whole(pass, patch, false);
      break;
    case formats::PatchType::strategic:
      done = rewrite_strategic(pass, patch);
      break;
    case formats::PatchType::json:
      done = rewrite_json(pass, copy);
      break;
  }
  if (!done) return fail(with_context(done.error(), "owner references in the patch"));
  if (type == formats::PatchType::json) patch = std::move(copy);
  Rewrite out = pass.take();
  add(out, relink_patch_fields([this](std::string_view uid) { return find_locked(uid); }, type, patch, group,
                               kind));
  return counted(std::move(out));
}

}  // namespace ktape::ownerref
